"""Venue layouts from CSV: every bad row reported by number, nothing imported unless all rows are good."""

import pytest

from allocation import services
from allocation.models import Area, EventUnit, Unit
from eventchain.errors import ValidationFailed

GOOD = b"""area,kind,label,capacity,row,number,parent
Dining Room,table,TABLE-41,10,E,1,
Dining Room,seat,TABLE-41-S1,1,T41,1,TABLE-41
Dining Room,seat,TABLE-41-S2,1,T41,2,TABLE-41
Members' Club East,seat,ce-a1,1,A,1,
Members' Club East,seat,CE-A2,1,A,2,
Gate D Car Park,pass,PARKING-D,150,,,
"""

BAD = b"""area,kind,label,capacity,row,number,parent
Dining Room,table,TABLE-41,10,E,1,
Dining Room,throne,TABLE-42,10,E,2,
,seat,CE-A1,1,A,1,
Members' Club East,seat,CE-A2,one,A,2,
Members' Club East,seat,CE-A2,1,A,3,
Members' Club East,seat,CE-A4,0,A,4,
Members' Club East,seat,CE-A5,1,A,x,
Dining Room,seat,TABLE-41-S1,1,T41,1,TABLE-99
Dining Room,table,TABLE-43,10,E,3,TABLE-41
"""


def test_good_layout_adds_areas_units_seats_inside_tables_and_event_stock(catalogue, make_staff):
    venue = catalogue["GF2026"].venue
    result = services.import_layout(venue_id=venue.pk, content=GOOD, actor=make_staff("fulfilment"))

    assert result == {"areas": 3, "units": 6}
    assert list(Area.objects.filter(venue=venue).values_list("name", flat=True)) == [
        "Dining Room", "Members' Club East", "Gate D Car Park"]
    seat = Unit.objects.get(label="TABLE-41-S2")
    assert (seat.parent.label, seat.row, seat.number, seat.kind) == ("TABLE-41", "T41", 2, "seat")
    assert Unit.objects.filter(label="CE-A1").exists()  # labels are normalised to capitals
    # Both events at the venue get stock rows at once; the pass pool's size is its capacity.
    assert EventUnit.objects.filter(unit__venue=venue).count() == 2 * 6
    assert EventUnit.objects.filter(unit__label="PARKING-D").first().pool_size == 150


def test_bad_rows_are_all_reported_and_nothing_is_imported(catalogue, make_staff):
    venue = catalogue["GF2026"].venue
    with pytest.raises(ValidationFailed) as refused:
        services.import_layout(venue_id=venue.pk, content=BAD, actor=make_staff("fulfilment"))
    messages = [e["message"] for e in refused.value.errors]
    assert messages == [
        "row 3: kind must be one of box, pass, room, seat, suite, table",
        "row 4: area is required",
        "row 5: capacity must be a whole number ≥ 1",
        "row 6: label CE-A2 is repeated (first on row 5)",
        "row 7: capacity must be a whole number ≥ 1",
        "row 8: number must be a whole number ≥ 1, or empty",
        "row 9: parent TABLE-99 is not a unit in this file",
        "row 10: only seats can have a parent",
    ]
    assert not Unit.objects.exists() and not Area.objects.exists()


def test_labels_already_at_the_venue_are_refused(catalogue, make_staff):
    venue = catalogue["GF2026"].venue
    services.import_layout(venue_id=venue.pk, content=GOOD, actor=make_staff())
    with pytest.raises(ValidationFailed, match="row 2: label TABLE-41 already exists at this venue"):
        services.import_layout(venue_id=venue.pk, content=GOOD, actor=make_staff())


def test_header_must_name_the_columns(catalogue, make_staff):
    with pytest.raises(ValidationFailed, match="missing: capacity"):
        services.import_layout(venue_id=catalogue["GF2026"].venue_id, content=b"area,kind,label,row,number\n",
                               actor=make_staff())


def test_console_import_shows_row_errors(catalogue, staff_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = staff_client("fulfilment")
    venue = catalogue["GF2026"].venue
    response = client.post("/console/allocation/layouts/import/",
                           {"venue": venue.pk, "file": SimpleUploadedFile("layout.csv", BAD, "text/csv")})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was imported" in html and "row 7: capacity must be a whole number ≥ 1" in html

    response = client.post("/console/allocation/layouts/import/",
                           {"venue": venue.pk, "file": SimpleUploadedFile("layout.csv", GOOD, "text/csv")})
    assert response.status_code == 302 and Unit.objects.count() == 6


def test_sales_cannot_import_layouts(staff_client):
    assert staff_client("sales").get("/console/allocation/layouts/import/").status_code == 403
