"""A campaign's QA scorecard (its ``[quality]`` table): the criteria a supervisor scores a call against.

Each criterion is a yes/no question or a scale of ``max`` points, weighs ``weight`` in the score, and may be
``critical``: a "no" (or 0 points) on it fails the whole evaluation (:mod:`dialer.quality.scoring`). A campaign that
defines none gets :func:`default_scorecard`: greeting and identification (critical where the regime requires the
seller to identify themselves, JP and CN), disclosures and compliance (critical), discovery, resolution, courtesy
and an accurate disposition.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from dialer.i18n import M_, N_
from dialer.i18n.validation import at_most_items

CRITERION_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
MAX_CRITERIA = 100
MAX_SCALE = 10


class Criterion(BaseModel):
    """One line of the scorecard."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=CRITERION_ID, description="stable slug the answers are keyed by")
    label: str = Field(min_length=1, max_length=80, description="what the evaluator reads")
    weight: float = Field(default=1.0, gt=0, le=1000, description="its share of the score (relative to the others)")
    kind: Literal["yes_no", "scale"] = Field(default="yes_no", description="yes/no, or 0..max points")
    max: int | None = Field(default=None, ge=1, le=MAX_SCALE, description="kind = scale: the points of a full mark")
    critical: bool = Field(default=False, description="a no (0 points) fails the whole evaluation (score 0)")
    description: str = Field(default="", max_length=500, description="guidance for the evaluator")

    @model_validator(mode="after")
    def _coherent(self) -> Criterion:
        if self.kind == "scale" and self.max is None:
            raise ValueError(
                M_("criterion {id}: a scale needs max (its full mark, 1 to {top})", id=repr(self.id), top=MAX_SCALE)
            )
        if self.kind == "yes_no" and self.max is not None:
            raise ValueError(M_("criterion {id}: max is for kind = scale only", id=repr(self.id)))
        return self

    @property
    def points(self) -> int:
        """The points of a full mark (a yes: 1)."""
        return self.max if self.max is not None else 1


class Scorecard(BaseModel):
    """The campaign's ``[quality]`` table: its criteria, in the order the form shows them."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    criteria: Annotated[
        tuple[Criterion, ...],
        BeforeValidator(at_most_items(MAX_CRITERIA, N_("{n} criteria: a scorecard may have at most {max}"))),
    ] = Field(min_length=1, description="the criteria, at least one")

    @field_validator("criteria")
    @classmethod
    def _unique(cls, v: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
        dup = sorted(i for i, n in Counter(c.id for c in v).items() if n > 1)
        if dup:
            raise ValueError(M_("duplicate criterion id(s) {dup}", dup=dup))
        return v

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)


def default_scorecard(*, identification_required: bool = False) -> Scorecard:
    """The scorecard of a campaign without a ``[quality]`` table; ``identification_required``: the regime makes
    the seller's identification at the start of the call a legal requirement (JP, CN), a critical item then."""
    return Scorecard(
        criteria=(
            Criterion(
                id="greeting",
                label="Greeting and identification",
                weight=1,
                critical=identification_required,
                description="greets the called party, gives their own name, the business and the purpose of the call",
            ),
            Criterion(
                id="compliance",
                label="Disclosures and compliance",
                weight=2,
                critical=True,
                description="the required disclosures (recording notice, offer terms); honours a do-not-call request",
            ),
            Criterion(
                id="discovery",
                label="Discovery",
                kind="scale",
                max=5,
                weight=2,
                description="asks about the called party's needs and listens",
            ),
            Criterion(
                id="resolution",
                label="Resolution",
                kind="scale",
                max=5,
                weight=2,
                description="answers the questions and reaches a clear next step",
            ),
            Criterion(
                id="courtesy",
                label="Courtesy",
                kind="scale",
                max=5,
                weight=1,
                description="polite, patient, clear speech",
            ),
            Criterion(
                id="disposition",
                label="Accurate disposition",
                weight=1,
                description="the disposition and notes match what happened on the call",
            ),
        )
    )
