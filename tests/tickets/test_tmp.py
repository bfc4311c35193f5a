import pytest
pytestmark = pytest.mark.django_db
def test_x(api, make_released):
    from eventchain.lifecycle import BookingStatus
    booking = make_released("BOX-8", status=BookingStatus.INVOICED)
    r = api("ticketing").post(f"/api/v1/bookings/{booking.pk}/issue-tickets")
    print(r.content)
    r = api("ticketing").post(f"/api/v1/bookings/{booking.pk}/allocate")
    print(r.content)
