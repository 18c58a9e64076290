"""Asterisk Manager Interface: the only package that imports panoramisk."""
