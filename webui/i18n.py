"""The clerk UI's words: Vietnamese first, English second, as one small dict (no Babel, no build step).

`t(key)` returns the word in the session's language and falls back to Vietnamese, then to the key,
so a missing English word never breaks a page.
"""
from __future__ import annotations

from flask import current_app, session

from motcua.errors import DomainError, Said
from motcua.lifecycle import STATUS_LABELS_EN, STATUS_LABELS_VI, Status
from sync.conflict_view import DECISION_LABELS_VI, KIND_LABELS_VI
from sync.conflicts import (CONCURRENT_TRANSITION, POSSIBLE_DUPLICATE, RECEIVED_TWICE,
                            STATUS_STALE)

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
    "users": ("Tài khoản", "Accounts"),
    "users_note": ("Khoá một tài khoản: người đó không đăng nhập được nữa, phiên đang mở kết thúc "
                   "ngay và mọi token của họ bị thu hồi.",
                   "Disabling an account: it can no longer log in, open sessions end at once and "
                   "all its tokens are revoked."),
    "role": ("Vai trò", "Role"),
    "user_active": ("Đang hoạt động", "Active"),
    "user_inactive": ("Đã khoá", "Disabled"),
    "user_disable": ("Khoá tài khoản", "Disable"),
    "user_disabled": ("Đã khoá tài khoản {username}.", "Account {username} disabled."),
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
    # conflicts (the clerk's pages and the fragments shared with the center's officers)
    "cf_waiting": ("Xung đột chờ người quyết định", "Conflicts waiting for a person"),
    "cf_list_help": ("Máy không tự quyết được những trường hợp này: hai bên (điểm tiếp nhận và trung tâm) "
                     "đã ghi khác nhau. Hồ sơ đang theo kết quả tạm thời cho đến khi một người quyết định, "
                     "ở đây hoặc tại trung tâm.",
                     "The computer cannot settle these by itself: the two sides (this point and the "
                     "center) recorded different things. The dossier follows a provisional result until "
                     "a person decides, here or at the center."),
    "cf_none": ("Không có xung đột nào đang chờ.", "No conflicts are waiting."),
    "cf_all": ("← Danh sách xung đột", "← All conflicts"),
    "cf_kind": ("Loại", "Kind"),
    "cf_dossier": ("Hồ sơ", "Dossier"),
    "cf_side_a": ("Phiên bản A", "Version A"),
    "cf_side_b": ("Phiên bản B", "Version B"),
    "cf_review": ("Xem và quyết định", "Review and decide"),
    "cf_current_status": ("trạng thái hiện tại", "current status"),
    "cf_provisional": ("(tạm thời)", "(provisional)"),
    "cf_resolved": ("Đã giải quyết", "Resolved"),
    "cf_decision": ("Quyết định", "Decision"),
    "cf_decide_help": ("Phiên bản A là bản máy tạm giữ (ghi trước theo đồng hồ). Quyết định được ghi vào "
                       "nhật ký, gửi lên trung tâm ở lần đồng bộ tới, và đóng xung đột ở cả hai nơi.",
                       "Version A is the one kept for now (recorded first by the clock). The decision is "
                       "written to the log, sent to the center at the next sync, and closes the conflict "
                       "in both places."),
    "cf_decided": ("Đã ghi quyết định; quyết định sẽ được gửi lên trung tâm ở lần đồng bộ tới.",
                   "Decision recorded; it goes to the center at the next sync."),
    "cf_note": ("Ghi chú (không bắt buộc)", "Note (optional)"),
    "cf_keep_both": ("Giữ cả hai (hai hồ sơ khác nhau)", "Keep both (two different dossiers)"),
    "cf_b_duplicate": ("B là hồ sơ trùng", "B is a duplicate"),
    "cf_right_status": ("Trạng thái đúng", "Correct status"),
    "cf_where": ("Nơi ghi", "Recorded at"),
    "cf_who": ("Người ghi", "Recorded by"),
    "cf_when": ("Thời điểm", "Time"),
    "cf_action": ("Thao tác", "Action"),
    "cf_version_status": ("Trạng thái theo phiên bản này", "Status under this version"),
    # conflict kinds and decisions: the Vietnamese is the domain's own label (sync.conflict_view)
    **{f"cf_kind_{kind}": (KIND_LABELS_VI[kind], en) for kind, en in (
        (CONCURRENT_TRANSITION, "Both sides changed the status"),
        (STATUS_STALE, "A status change that no longer fits"),
        (RECEIVED_TWICE, "Dossier received twice"),
        (POSSIBLE_DUPLICATE, "Possibly submitted twice at two points"))},
    **{f"cf_decision_{d}": (DECISION_LABELS_VI[d], en) for d, en in (
        ("keep_a", "Keep version A"), ("keep_b", "Keep version B"),
        ("value", "Enter the correct value"))},
    # USB transfer
    "usb_title": ("Mang dữ liệu bằng USB", "Carry data on a USB stick"),
    "usb_intro_1": ("Khi mất mạng lâu ngày:", "When the network is down for days:"),
    "usb_intro_2": ("trước khi gửi USB lên trung tâm; khi USB về,",
                    "before sending the stick to the center; when it comes back,"),
    "usb_intro_3": ("Dữ liệu trên USB đã được mã hóa; tên tệp không chứa thông tin công dân. Một USB dùng "
                    "chung cho nhiều xã: máy này chỉ đọc phần của mình và để nguyên phần của xã khác.",
                    "The data on the stick is encrypted; file names carry no citizen's details. One stick "
                    "can serve several communes: this PC reads only its own part and leaves the others' "
                    "untouched."),
    "usb_export": ("Xuất ra USB", "Export to USB"),
    "usb_import": ("Nhập từ USB", "Import from USB"),
    "usb_folder": ("Thư mục USB trên máy này", "USB folder on this PC"),
    "usb_folder_example": ("/media/usb hoặc E:\\", "/media/usb or E:\\"),
    "usb_max_mb": ("Giới hạn dung lượng, MB", "Size limit, MB"),
    "usb_max_mb_hint": ("(để trống: chép hết những gì vừa)", "(leave empty: copy all that fits)"),
    "usb_exporting": ("Xuất ra", "Export to"),
    "usb_importing": ("Nhập từ", "Import from"),
    "usb_starting": ("Đang bắt đầu…", "Starting…"),
    "usb_done": ("Xong.", "Done."),
    "usb_failed": ("Dừng vì lỗi.", "Stopped by an error."),
    "usb_summary": ("Tóm tắt", "Summary"),
    "usb_went": ("Đã ghi ra USB", "Written to the stick"),
    "usb_came": ("Đã nhận", "Received"),
    "usb_refused": ("Bị từ chối", "Refused"),
    "usb_ignored": ("Bỏ qua", "Skipped"),
    "usb_left": ("Còn lại cho chuyến sau", "Left for the next trip"),
    "usb_nothing_left": ("Không còn gì chờ chuyến sau.", "Nothing left for the next trip."),
    "usb_verify": ("Kiểm tra USB mà không nhập (không cần khóa bí mật):",
                   "Check a stick without importing it (no secret key needed):"),
    "usb_folder_arg": ("thư mục USB", "USB folder"),
    "usb_busy": ("Đang có một lần chép USB chưa xong.", "A USB transfer is still running."),
    "usb_need_path": ("Nhập đường dẫn đầy đủ tới thư mục USB, ví dụ /media/usb hoặc E:\\.",
                      "Enter the full path to the USB folder, e.g. /media/usb or E:\\."),
    "usb_no_folder": ("Không thấy thư mục {path}. USB đã cắm chưa?",
                      "Folder {path} not found. Is the USB stick plugged in?"),
    "usb_bad_mb": ("Giới hạn dung lượng phải là một số (MB).", "The size limit must be a number (MB)."),
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


def error_text(message) -> str:
    """A catalogue message (`Said`), a `DomainError` or plain text, in the reader's language."""
    if isinstance(message, DomainError):
        return message.message(current_language())
    return message.text(current_language()) if isinstance(message, Said) else str(message)


def status_label(code: int) -> str:
    """A status's name in the session's language."""
    labels = STATUS_LABELS_EN if current_language() == "en" else STATUS_LABELS_VI
    return labels[Status(int(code))]
