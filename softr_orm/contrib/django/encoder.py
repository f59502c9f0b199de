"""``SoftrJSONEncoder``: Django's JSON encoder, plus model instances, querysets and their values.

Django has no process-wide JSON encoder to extend; views choose one per response::

    from django.http import JsonResponse
    from softr_orm.contrib.django.encoder import SoftrJSONEncoder

    def contacts(request):
        qs = Contact.objects.filter(score__gte=10)[:20]
        return JsonResponse({"contacts": qs}, encoder=SoftrJSONEncoder)

Instances become ``to_dict(mode="json")`` and querysets lists of those. The values this
library hands out (``Decimal``, dates and datetimes, attachments, users) are written as
``to_dict(mode="json")`` writes them, so a record looks the same whichever way it is
serialized (Django's own encoder would cut datetimes to milliseconds); anything else is left
to :class:`~django.core.serializers.json.DjangoJSONEncoder`.
"""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from softr_orm.models.serialization import json_default

__all__ = ["SoftrJSONEncoder"]


class SoftrJSONEncoder(DjangoJSONEncoder):
    """See the module docstring."""

    def default(self, o: Any) -> Any:
        try:
            return json_default(o)
        except TypeError:
            return super().default(o)
