"""The `/api/v1/` API: the kernel's routers plus each lane's, in lane order."""

from ninja import NinjaAPI

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
