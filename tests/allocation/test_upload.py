"""Bulk allocation requests (CSV/XLSX): every row validated, good rows allocated, bad rows explained."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from allocation import services
from allocation.models import AllocationUpload, EventUnit


def test_csv_good_rows_are_allocated_and_bad_rows_come_back_with_reasons(stock, make_booking, fulfilment):
    boxes = make_booking(stock, "BOX-8", 8)
    club = make_booking(stock, "CLUB-SEAT", 3)
    too_big = make_booking(stock, "BOX-8", 40)
    mismatched = make_booking(stock, "TABLE-10", 10)
    content = (
        "Booking Reference,Package,Headcount,Preferred Area,Requested Units\n"
        f"{boxes.reference},BOX-8,8,,BOX-02\n"
        f"{club.pk},CLUB-SEAT,3,Club South,\n"
        f"{too_big.reference},BOX-8,40,,\n"
        f"{mismatched.reference},BOX-8,12,Mezzanine,\n"
        "BK-99999,,,,\n"
        f"{boxes.reference},BOX-8,8,,\n"
        ",,,,\n"
    ).encode()

    upload = services.upload_requests(file_name="requests.csv", content=content, actor=fulfilment)

    rows = {r["row"]: r for r in upload.results}
    assert rows[2]["ok"] and rows[2]["units"] == ["BOX-02"]
    assert rows[3]["ok"] and rows[3]["units"] == ["CS-A1", "CS-A2", "CS-A3"]
    assert not rows[4]["ok"] and "stays unallocated" in rows[4]["message"]
    assert rows[5] == {"row": 5, "booking": mismatched.reference, "ok": False, "units": [], "comps": [],
                       "message": f"package BOX-8 does not match {mismatched.reference}'s package TABLE-10; "
                                  f"headcount 12 differs from {mismatched.reference}'s 10; change the booking first; "
                                  "Riverside Stadium has no area 'Mezzanine'"}
    assert rows[6]["message"] == "no booking 'BK-99999'"
    assert rows[7]["message"] == f"{boxes.reference} is already on row 2"
    assert 8 not in rows  # blank lines are skipped
    assert (upload.good_rows, upload.bad_rows) == (2, 4)
    assert EventUnit.objects.filter(booking=boxes).count() == 1
    assert bytes(AllocationUpload.objects.get().content) == content  # the raw file is kept


def test_xlsx_upload_through_the_console_shows_results(stock, make_booking, staff_client):
    booking = make_booking(stock, "TABLE-10", 10)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["booking", "package", "headcount", "preferred area", "requested units"])
    sheet.append([booking.reference, "TABLE-10", 10, "Dining Room", None])
    sheet.append(["BK-00000", None, None, None, None])
    data = io.BytesIO()
    workbook.save(data)

    client = staff_client("fulfilment")
    response = client.post("/console/allocation/uploads/", {"file": SimpleUploadedFile("requests.xlsx", data.getvalue())})
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "✓ Allocated" in html and "TABLE-01" in html
    assert "✕ Refused" in html and "no booking &#x27;BK-00000&#x27;" in html
    bad_only = client.get(response["Location"] + "?show=bad").content.decode()
    assert "✓ Allocated" not in bad_only and "✕ Refused" in bad_only


def test_unreadable_file_is_kept_and_reported(stock, fulfilment):
    upload = services.upload_requests(file_name="requests.xlsx", content=b"not a workbook", actor=fulfilment)
    assert upload.results == [{"row": None, "booking": "", "ok": False, "units": [], "comps": [],
                               "message": "The file is not a readable .xlsx workbook."}]
    missing_column = services.upload_requests(file_name="r.csv", content=b"package,headcount\nBOX-8,8\n",
                                              actor=fulfilment)
    assert "must name a 'booking' column" in missing_column.results[0]["message"]
