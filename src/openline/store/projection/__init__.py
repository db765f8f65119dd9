"""SQL of the fold tables: hotline messages, requests, notices and the floor's open items.

Writers take the open write connection of the transaction that stores the entries or the
receipt that changed them, so a fold is never out of step with the transcript. Readers
take any connection and read through an index, a page or a handful of rows at a time.
What each row means is decided by the folds in ``openline.core``; this package only moves
rows in and out.

One module per table: ``open_items``, ``messages``, ``requests``, ``notices`` and their
``desk_checks``, and ``deadlines`` over requests and notices together. Callers import
the functions from here.
"""

from __future__ import annotations

from openline.store.projection.deadlines import deadline_between, next_deadline
from openline.store.projection.desk_checks import (
    desk_checks_page,
    desk_summary,
    latest_desk_check,
    silent_desk_check,
)
from openline.store.projection.messages import (
    acknowledge_message,
    deliver_messages,
    insert_messages,
    message_ack_id,
    message_row,
    message_rows,
    overdue_message_counts,
    overdue_messages,
    recent_closed_messages,
)
from openline.store.projection.notices import (
    group_copies,
    groups_with_notice,
    notice_group_page,
    notice_row,
    notice_rows,
    notices_for_map,
    notices_in_range,
    overdue_notices,
    put_notice,
    recent_closed_notices,
    set_leader,
)
from openline.store.projection.open_items import (
    NO_DEADLINE,
    OpenItem,
    close_open,
    live_open,
    most_urgent,
    open_count,
    open_flashes,
    put_open,
)
from openline.store.projection.requests import (
    overdue_requests,
    put_request,
    recent_closed_requests,
    request_counts,
    request_page,
    request_row,
    request_rows,
    request_state_at,
    requests_in_range,
    requests_of_link,
)

__all__ = [
    "NO_DEADLINE",
    "OpenItem",
    "acknowledge_message",
    "close_open",
    "deadline_between",
    "deliver_messages",
    "desk_checks_page",
    "desk_summary",
    "group_copies",
    "groups_with_notice",
    "insert_messages",
    "latest_desk_check",
    "live_open",
    "message_ack_id",
    "message_row",
    "message_rows",
    "most_urgent",
    "next_deadline",
    "notice_group_page",
    "notice_row",
    "notice_rows",
    "notices_for_map",
    "notices_in_range",
    "open_count",
    "open_flashes",
    "overdue_message_counts",
    "overdue_messages",
    "overdue_notices",
    "overdue_requests",
    "put_notice",
    "put_open",
    "put_request",
    "recent_closed_messages",
    "recent_closed_notices",
    "recent_closed_requests",
    "request_counts",
    "request_page",
    "request_row",
    "request_rows",
    "request_state_at",
    "requests_in_range",
    "requests_of_link",
    "set_leader",
    "silent_desk_check",
]
