"""The demo venue: the layout the issue asks for, stock for both events, rules and holds; idempotent."""

from collections import Counter

from allocation import demo
from allocation.models import CompRule, EventUnit, Hold, OverflowRule, StockState, Unit
from reporting.management.commands.seed_demo import LANE_SEEDERS


def test_demo_layout_and_stock(catalogue, django_assert_max_num_queries):
    first = demo.seed()
    venue = catalogue["GF2026"].venue

    top = Counter(Unit.objects.filter(venue=venue, parent__isnull=True).values_list("kind", flat=True))
    assert top == {"suite": 20, "box": 10, "table": 40, "seat": 2000, "pass": 1, "room": 30}
    assert set(Unit.objects.filter(kind="suite").values_list("capacity", flat=True)) == {12}
    assert set(Unit.objects.filter(kind="box").values_list("capacity", flat=True)) == {8}
    assert set(Unit.objects.filter(kind="table").values_list("capacity", flat=True)) == {10}
    assert Unit.objects.filter(parent__kind="table").count() == 400
    assert Unit.objects.get(kind="pass").capacity == 300
    club = Unit.objects.filter(kind="seat", parent__isnull=True)
    assert club.filter(row="", number__isnull=True).count() == 0  # every club seat has a row and number

    gf = catalogue["GF2026"]
    boxes = EventUnit.objects.filter(event=gf, unit__kind="box")
    assert boxes.count() == 10 and gf.packages.get(code="BOX-8").inventory_kind == "box"
    assert EventUnit.objects.filter(event=catalogue["SF2026"]).count() == EventUnit.objects.filter(event=gf).count()
    assert EventUnit.objects.get(event=gf, unit__label="PARKING-C").pool_size == 300
    assert CompRule.objects.filter(event=gf).count() == 2 and OverflowRule.objects.filter(event=gf).count() == 4
    assert Hold.objects.filter(event=gf).count() == 2
    assert EventUnit.objects.filter(event=gf, state=StockState.BLOCKED).count() == 4
    assert first["units_created"] == 2501

    with django_assert_max_num_queries(30):  # a second run only checks
        assert demo.seed() == {"units_created": 0, "stock_rows_created": 0}
    assert Hold.objects.count() == 2 and CompRule.objects.count() == 4


def test_seeder_is_registered_after_buyers():
    names = [f"{seeder.__module__}.{seeder.__name__}" for seeder in LANE_SEEDERS]
    assert names.index("allocation.demo.seed") > names.index("buyers.demo.seed")
