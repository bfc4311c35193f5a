from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("", views.invoices, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice-pdf"),
    path("invoices/<int:pk>/payments/", views.record_payment, name="record-payment"),
    path("invoices/<int:pk>/retry-sync/", views.retry_sync, name="retry-sync"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("reconciliation/receipts/", views.record_receipt, name="record-receipt"),
    path("reconciliation/<int:item_id>/match/", views.match_receipt, name="match-receipt"),
    path("reconciliation/<int:item_id>/resolve/", views.resolve_item, name="resolve-item"),
    path("reconciliation/poll/", views.poll_now, name="poll-now"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/use/", views.ledger_use, name="ledger-use"),
    path("ledger/test/", views.ledger_test, name="ledger-test"),
    path("ledger/disconnect/", views.ledger_disconnect, name="ledger-disconnect"),
    path("ledger/xero/connect/", views.xero_connect, name="xero-connect"),
    path("ledger/xero/callback/", views.xero_callback, name="xero-callback"),
    path("ledger/xero/custom-connection/", views.xero_custom_connection, name="xero-custom"),
    path("ledger/xero/organisation/", views.xero_tenant, name="xero-tenant"),
]
