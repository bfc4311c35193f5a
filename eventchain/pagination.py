"""Console tables: one page of rows plus the query string to keep filters while paging."""

from django.core.paginator import Paginator

PAGE_SIZE = 25


def page_of(request, queryset, per_page: int = PAGE_SIZE, param: str = "page"):
    """`param` names the page number in the query string, so two tables on one page page apart."""
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    return page, query.urlencode()
