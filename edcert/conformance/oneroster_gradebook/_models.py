"""The OneRoster 1.2 Gradebook entities, in the rostering validator's terms (``oneroster/models.py``).

Source: ``onerosterv1p2gradebookservice_openapi3_v1p0.json``, ``components.schemas``: CategoryDType,
LineItemDType, ResultDType, ScoreScaleDType, AssessmentLineItemDType, AssessmentResultDType (all
``additionalProperties: false``). ``assignDate``/``dueDate`` are date-times, ``scoreDate`` a date,
``score``/``weight``/``resultValue*`` numbers, ``inProgress``/``incomplete``/``late``/``missing``
string booleans, ``scoreStatus`` an extensible enumeration.
"""
from __future__ import annotations

from edcert.conformance.oneroster.models import BASE, Kind, Prop, Shape

SCORE_STATUSES = ("exempt", "fully graded", "not submitted", "partially graded", "submitted")

_S = Prop(Kind.STRING)
_N = Prop(Kind.NUMBER)
_B = Prop(Kind.BOOL)
_OBJS = Prop(Kind.OBJECTS)


def ref(ref_type: str, required: bool = False) -> Prop:
    return Prop(Kind.REF, required=required, ref_type=ref_type)


def req(kind: Kind) -> Prop:
    return Prop(kind, required=True)


CATEGORY = Shape("category", {**BASE, "title": req(Kind.STRING), "weight": _N})
LINE_ITEM = Shape("lineItem", {
    **BASE, "title": req(Kind.STRING), "description": _S, "assignDate": req(Kind.DATETIME),
    "dueDate": req(Kind.DATETIME), "class": ref("class", True), "school": ref("org", True),
    "category": ref("category", True), "gradingPeriod": ref("academicSession"),
    "academicSession": ref("academicSession"), "scoreScale": ref("scoreScale"), "resultValueMin": _N,
    "resultValueMax": _N, "learningObjectiveSet": _OBJS,
})
_FLAGS = {"inProgress": _B, "incomplete": _B, "late": _B, "missing": _B}
_STATUS = Prop(Kind.ENUM, required=True, values=SCORE_STATUSES, extensible=True)
RESULT = Shape("result", {
    **BASE, "lineItem": ref("lineItem", True), "student": ref("user", True), "class": ref("class"),
    "scoreScale": ref("scoreScale"), "scoreStatus": _STATUS, "score": _N, "textScore": _S,
    "scoreDate": req(Kind.DATE), "comment": _S, "learningObjectiveSet": _OBJS, **_FLAGS,
})
SCORE_SCALE_VALUE = Shape("ScoreScaleValue", {"itemValueLHS": req(Kind.STRING), "itemValueRHS": req(Kind.STRING)},
                          open=True)
SCORE_SCALE = Shape("scoreScale", {
    **BASE, "title": req(Kind.STRING), "type": req(Kind.STRING), "class": ref("class", True),
    "course": ref("course"),
    "scoreScaleValue": Prop(Kind.OBJECTS, required=True, min_items=1, shape=SCORE_SCALE_VALUE),
})
ASSESSMENT_LINE_ITEM = Shape("assessmentLineItem", {
    **BASE, "title": req(Kind.STRING), "description": _S, "class": ref("class"),
    "parentAssessmentLineItem": ref("assessmentLineItem"), "scoreScale": ref("scoreScale"),
    "resultValueMin": _N, "resultValueMax": _N, "learningObjectiveSet": _OBJS,
})
ASSESSMENT_RESULT = Shape("assessmentResult", {
    **BASE, "assessmentLineItem": ref("assessmentLineItem", True), "student": ref("user", True), "score": _N,
    "textScore": _S, "scoreDate": req(Kind.DATE), "scoreScale": ref("scoreScale"), "scorePercentile": _N,
    "scoreStatus": _STATUS, "comment": _S, "learningObjectiveSet": _OBJS, **_FLAGS,
})

# endpoint -> (collection key, single key, shape, nouns)
ENTITIES: dict[str, tuple[str, str, Shape, str, str]] = {
    "categories": ("categories", "category", CATEGORY, "categories", "category"),
    "lineItems": ("lineItems", "lineItem", LINE_ITEM, "line items (assignments)", "line item"),
    "results": ("results", "result", RESULT, "results (scores)", "result"),
    "scoreScales": ("scoreScales", "scoreScale", SCORE_SCALE, "score scales", "score scale"),
    "assessmentLineItems": ("assessmentLineItems", "assessmentLineItem", ASSESSMENT_LINE_ITEM,
                            "assessment line items", "assessment line item"),
    "assessmentResults": ("assessmentResults", "assessmentResult", ASSESSMENT_RESULT, "assessment results",
                          "assessment result"),
}
COLLECTION_KEYS = {endpoint: entry[0] for endpoint, entry in ENTITIES.items()}

# OneRoster 1.1 (information model §4.10-4.13; LongsightGroup/oneroster src/v1p1/model/gradebook.ts): three
# entities. A category is only a title; a lineItem needs class, category and gradingPeriod plus
# resultValueMin/Max and has no school; a result needs a score and has none of the 1.2 flags.
CATEGORY_V1P1 = Shape("category", {**BASE, "title": req(Kind.STRING)})
LINE_ITEM_V1P1 = Shape("lineItem", {
    **BASE, "title": req(Kind.STRING), "description": _S, "assignDate": req(Kind.DATETIME),
    "dueDate": req(Kind.DATETIME), "class": ref("class", True), "category": ref("category", True),
    "gradingPeriod": ref("academicSession", True), "resultValueMin": req(Kind.NUMBER),
    "resultValueMax": req(Kind.NUMBER),
})
RESULT_V1P1 = Shape("result", {
    **BASE, "lineItem": ref("lineItem", True), "student": ref("user", True), "scoreStatus": _STATUS,
    "score": req(Kind.NUMBER), "scoreDate": req(Kind.DATE), "comment": _S,
})
ENTITIES_V1P1: dict[str, tuple[str, str, Shape, str, str]] = {
    "categories": (*ENTITIES["categories"][:2], CATEGORY_V1P1, *ENTITIES["categories"][3:]),
    "lineItems": (*ENTITIES["lineItems"][:2], LINE_ITEM_V1P1, *ENTITIES["lineItems"][3:]),
    "results": (*ENTITIES["results"][:2], RESULT_V1P1, *ENTITIES["results"][3:]),
}
