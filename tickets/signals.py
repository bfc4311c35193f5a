"""Lane 05's hand-over signals. Tickets sends; distribution (lane 06) and reporting subscribe.

All are sent inside the transaction that made the change:
    tickets_issued:   booking (now issued), actor
    ticket_reissued:  ticket (new code and generation), previous_generation, actor — re-send on its channel
    ticket_revoked:   ticket, actor
"""

from django.dispatch import Signal

tickets_issued = Signal()
ticket_reissued = Signal()
ticket_revoked = Signal()
