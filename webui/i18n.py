"""The clerk UI's words: Vietnamese first, English second, as one small dict (no Babel, no build step).

`t(key)` returns the word in the session's language and falls back to Vietnamese, then to the key,
so a missing English word never breaks a page.
"""
from __future__ import annotations

from flask import current_app, session

from motcua.lifecycle import STATUS_LABELS_EN, STATUS_LABELS_VI, Status

LANGUAGES = ("vi", "en")

WORDS: dict[str, tuple[str, str]] = {
    "app": ("Một cửa", "One-stop desk"),
    "today": ("Hôm nay", "Today"),
    "new": ("Tiếp nhận hồ sơ", "New dossier"),
    "find": ("Tìm hồ sơ", "Find"),
    "book": ("Sổ theo dõi", "Tracking book"),
    "help": ("Trợ giúp", "Help"),
    "lookup": ("Tra cứu hồ sơ", "Dossier lookup"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "received_today": ("Tiếp nhận hôm nay", "Received today"),
    "due_soon": ("Sắp đến hạn", "Due soon"),
    "overdue": ("Quá hạn", "Overdue"),
    "to_return": ("Có kết quả, chờ trả", "Results to hand back"),
    "none": ("Không có hồ sơ nào.", "Nothing here."),
    "more": ("và {n} hồ sơ khác", "and {n} more"),
    "sync": ("Đồng bộ", "Sync"),
    "sync_last": ("Liên lạc trung tâm lần cuối", "Last contact with the center"),
    "sync_never": ("chưa liên lạc", "never"),
    "sync_pending": ("Chờ gửi", "Waiting to go"),
    "sync_conflicts": ("Xung đột", "Conflicts"),
    "sync_note": ("Mất mạng vẫn làm việc bình thường.", "Work goes on without the network."),
    "code": ("Mã hồ sơ", "Dossier code"),
    "procedure": ("Thủ tục", "Procedure"),
    "applicant": ("Người nộp", "Applicant"),
    "status": ("Trạng thái", "Status"),
    "received_at": ("Ngày nhận", "Received"),
    "due_at": ("Hẹn trả", "Due"),
    "full_name": ("Họ và tên", "Full name"),
    "id_number": ("Số định danh cá nhân", "Personal ID number"),
    "date_of_birth": ("Ngày sinh (ngày/tháng/năm)", "Date of birth (dd/mm/yyyy)"),
    "phone": ("Số điện thoại", "Phone"),
    "address": ("Địa chỉ", "Address"),
    "email": ("Thư điện tử (không bắt buộc)", "E-mail (optional)"),
    "notes": ("Ghi chú", "Notes"),
    "channel": ("Hình thức nộp", "Channel"),
    "fee": ("Lệ phí", "Fee"),
    "fee_unknown": ("Theo nghị quyết HĐND tỉnh", "Set by the provincial council"),
    "fee_paid": ("Đã thu lệ phí", "Fee collected"),
    "documents": ("Thành phần hồ sơ", "Required documents"),
    "copy_type": ("Loại bản", "Copy type"),
    "count": ("Số bản", "Copies"),
    "scans": ("Bản quét", "Scans"),
    "save": ("Lưu và in giấy tiếp nhận", "Save and print the receipt"),
    "search": ("Tìm", "Search"),
    "search_hint": ("Mã hồ sơ, họ tên (gõ không dấu được), số định danh, số điện thoại",
                    "Code, name (accents optional), ID number, phone"),
    "proc_hint": ("Gõ tên thủ tục, không cần dấu (ví dụ: khai sinh)",
                  "Type the procedure's name, accents optional"),
    "all_statuses": ("Mọi trạng thái", "All statuses"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "prev": ("Trang trước", "Previous"),
    "next": ("Trang sau", "Next"),
    "history": ("Quá trình xử lý", "History"),
    "actions": ("Thao tác", "Actions"),
    "print": ("In", "Print"),
    "reason": ("Lý do / nội dung", "Reason"),
    "returned_to": ("Người nhận kết quả", "Received by"),
    "rating": ("Đánh giá của công dân", "Citizen's rating"),
    "record": ("Ghi nhận", "Record"),
    "new_due": ("Hẹn lại (Mẫu 04)", "New date (Form 04)"),
    "new_due_at": ("Ngày hẹn mới (ngày/tháng/năm giờ:phút)", "New date (dd/mm/yyyy hh:mm)"),
    "center": ("Trung tâm", "Center"),
    "this_point": ("Điểm tiếp nhận", "This point"),
    "lookup_secret": ("Mã tra cứu (in trên giấy tiếp nhận)", "Lookup secret (on the receipt)"),
    "to_bring": ("Cần mang bổ sung", "Please bring"),
    "errors_below": ("Có trường chưa hợp lệ, xem thông báo bên cạnh từng trường.",
                     "Some fields need attention: see the messages next to them."),
    "saved": ("Đã lưu.", "Saved."),
    "language": ("English", "Tiếng Việt"),
    "download_csv": ("Tải CSV (mở bằng Excel)", "Download CSV (opens in Excel)"),
    "show": ("Xem", "Show"),
    "remove": ("Bỏ", "Remove"),
    "choose": ("Chọn", "Choose"),
}


def current_language() -> str:
    lang = session.get("lang") or current_app.config.get("LANGUAGE", "vi")
    return lang if lang in LANGUAGES else "vi"


def t(key: str, **kwargs) -> str:
    """The word for `key` in the session's language (Vietnamese when English lacks it)."""
    pair = WORDS.get(key)
    if pair is None:
        return key
    text = pair[1] if current_language() == "en" and pair[1] else pair[0]
    return text.format(**kwargs) if kwargs else text


def status_label(code: int) -> str:
    """A status's name in the session's language."""
    labels = STATUS_LABELS_EN if current_language() == "en" else STATUS_LABELS_VI
    return labels[Status(int(code))]
