"""Console tables: one page of rows plus the query string to keep filters while paging."""

from django.core.paginator import Paginator

PAGE_SIZE = 25


def page_of(request, queryset, per_page: int = PAGE_SIZE):
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()
