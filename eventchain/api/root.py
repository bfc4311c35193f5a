"""The `/api/v1/` API: the kernel's routers plus each lane's, in lane order."""

from ninja import NinjaAPI

from allocation import api as allocation_api
from buyers import api as buyers_api
from distribution import api as distribution_api
from finance import api as finance_api
from reporting import api as reporting_api
from tickets import api as tickets_api

from . import catalogue, errors, jobs

api = NinjaAPI(
    title="EventChain API",
    version="1",
    description=(
        "The public machine interface of EventChain: CRM handoff, bookings through the lanes, "
        "invoices, tickets, distribution, gate scans and reports. Errors answer "
        '`{"errors": [{"field", "message"}]}`; POSTs accept an `Idempotency-Key` header.'
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("", jobs.router)
api.add_router("", catalogue.router)
api.add_router("", buyers_api.router)
api.add_router("", allocation_api.router)
api.add_router("", finance_api.router)
api.add_router("", tickets_api.router)
api.add_router("", distribution_api.router)
api.add_router("", reporting_api.router)  # lane 07 stays last
