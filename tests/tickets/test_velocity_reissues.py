"""Many reissues of one ticket hold it for review: no reissue (or transfer) until staff release it."""

import pytest

from eventchain import velocity
from eventchain.errors import StateConflict
from eventchain.models import Flag
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rule(settings):
    settings.EVENTCHAIN_VELOCITY_RULES = {"ticket_reissues": {"threshold": 3, "window": 24 * 3600}}


def test_the_third_reissue_in_a_day_holds_the_ticket_until_released(issued, make_staff):
    staff = make_staff("ticketing")
    ticket = Ticket.objects.filter(booking=issued("BOX-8")).first()

    for _ in range(2):
        services.reissue_ticket(ticket_id=ticket.pk, actor=staff, reason="lost phone")
    assert not Flag.objects.exists()
    third = services.reissue_ticket(ticket_id=ticket.pk, actor=staff, reason="lost phone")
    assert third.generation == 4  # the reissue that reaches the threshold goes ahead

    flag = Flag.objects.get(rule="ticket_reissues", subject_type="ticket", subject_id=str(ticket.pk))
    assert flag.count == 3 and flag.subject_label == f"Ticket {ticket.number}"
    with pytest.raises(StateConflict) as refused:
        services.reissue_ticket(ticket_id=ticket.pk, actor=staff, reason="again")
    assert f"Ticket {ticket.number} is held for review" in refused.value.message
    ticket.refresh_from_db()
    assert ticket.generation == 4  # nothing changed

    velocity.release_flag(actor=make_staff("admin"), flag_id=flag.pk, note="Explained by the buyer.")
    assert services.reissue_ticket(ticket_id=ticket.pk, actor=staff, reason="again").generation == 5


def test_other_tickets_of_the_booking_are_not_held(issued, make_staff):
    staff = make_staff("ticketing")
    first, second = Ticket.objects.filter(booking=issued("BOX-8"))[:2]
    for _ in range(3):
        services.reissue_ticket(ticket_id=first.pk, actor=staff)
    assert services.reissue_ticket(ticket_id=second.pk, actor=staff).generation == 2
    from tickets import holds
    assert holds.held_ticket_ids([first.pk, second.pk]) == {first.pk}
