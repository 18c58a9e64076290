from dialer.cli import main

main()
