"""One catalogue of domain errors and refusals, shared by node, center and sync.

Every error a person or a script can meet is a `Message` here: a stable machine `code` (never
renamed: scripts and the other side match on it), an HTTP status, and a Vietnamese and an English
sentence, templates with named placeholders (`{username}`) filled in where the error is raised.
Raise sites name the entry, never a literal::

    raise Conflict(USERNAME_TAKEN(username=name), field="username")
    raise ParcelRefused(CHAIN_BROKEN(seq=7, last=5, sender="07024"))

Several entries may share one code (`invalid_input` covers many sentences); the code is what
machines read, the sentence is for people. The apps' one error handler renders a `DomainError` as
`{"error": {"code", "message", "message_en", "field"?}}` for the API and sync, and as a sentence in
the reader's language in the web UI. `docs/errors.md` is generated from `catalogue_markdown()` and a
test keeps it equal, and another checks that every code raised anywhere is in here.

The ground floor: this module imports nothing from motcua, node, central or sync.
"""
from __future__ import annotations

from typing import Any

LANGUAGES = ("vi", "en")


class Phrase:
    """A word or two in both languages, to be put into a message (a status label, say)."""
    __slots__ = ("vi", "en")

    def __init__(self, vi: str, en: str):
        self.vi, self.en = vi, en

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi

    def __str__(self) -> str:
        return self.vi

    def __repr__(self) -> str:
        return f"Phrase({self.vi!r}, {self.en!r})"


class _Params(dict):
    """Placeholder values for one language: nested phrases and messages speak that language too."""

    def __init__(self, params: dict, lang: str):
        super().__init__()
        self.lang = lang
        for key, value in params.items():
            self[key] = value.text(lang) if hasattr(value, "text") and callable(value.text) else value

    def __missing__(self, key):            # a forgotten detail shows as itself, never a 500
        return "{" + key + "}"


class Message:
    """One catalogue entry: stable code, HTTP status, Vietnamese and English templates."""
    __slots__ = ("name", "code", "status", "vi", "en")

    def __init__(self, code: str, status: int, vi: str, en: str):
        self.name = ""                      # the constant's name, filled in below
        self.code, self.status, self.vi, self.en = code, status, vi, en

    def __call__(self, **params: Any) -> "Said":
        """This message with its details filled in."""
        return Said(self, params)

    def text(self, lang: str = "vi", **params: Any) -> str:
        return Said(self, params).text(lang)

    def __repr__(self) -> str:
        return f"<Message {self.name} ({self.code})>"


class Said:
    """A catalogue message with its details: what an error carries, rendered in either language."""
    __slots__ = ("message", "params")

    def __init__(self, message: Message, params: dict[str, Any]):
        self.message, self.params = message, params

    @property
    def code(self) -> str:
        return self.message.code

    def text(self, lang: str = "vi") -> str:
        template = self.message.en if lang == "en" else self.message.vi
        try:
            return template.format_map(_Params(self.params, lang))
        except (ValueError, TypeError, IndexError, AttributeError):
            return template                 # a detail of the wrong type: the bare sentence

    def __str__(self) -> str:
        return self.text("vi")

    def __repr__(self) -> str:
        return f"<Said {self.message.name} {self.params!r}>"


def as_said(message: "Message | Said | str") -> "Said | None":
    if isinstance(message, Said):
        return message
    if isinstance(message, Message):
        return message()
    return None


class DomainError(Exception):
    """An error fit to show: a catalogue message (code, status, both languages) and the field."""
    status = 400
    code = "bad_request"

    def __init__(self, message: "Message | Said | str", *, code: str | None = None,
                 field: str | None = None, status: int | None = None,
                 fields: dict[str, str] | None = None):
        said = as_said(message)
        message_vi = said.text("vi") if said else str(message)
        super().__init__(message_vi)
        self.said = said
        self.message_vi = message_vi
        self.field = field
        said_fields = fields or ({field: said or message_vi} if field else {})
        self.fields_said = said_fields      # field → Said (or text): for a page in either language
        self.fields = {k: str(v) for k, v in said_fields.items()}
        if said is not None:
            self.code, self.status = said.message.code, said.message.status
        if code:                            # only to pass on a code another side sent
            self.code = code
        if status:
            self.status = status

    @property
    def message_en(self) -> str:
        return self.said.text("en") if self.said else self.message_vi

    def message(self, lang: str = "vi") -> str:
        """The sentence in `lang` ("vi" or "en")."""
        return self.message_en if lang == "en" else self.message_vi

    def field_messages(self, lang: str = "vi") -> dict[str, str]:
        """Each field's sentence in `lang`."""
        return {k: v.text(lang) if isinstance(v, Said) else str(v) for k, v in self.fields_said.items()}

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message_vi, "message_en": self.message_en}
        if self.field:
            body["field"] = self.field
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class InvalidInput(DomainError):
    """Bad input from a person or a script: nothing was changed."""
    status = 422
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request is well formed but the current state refuses it (e.g. an illegal transition)."""
    status = 409
    code = "conflict"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class TooManyAttempts(DomainError):
    """Too many wrong passwords or lookup secrets: wait, then try again."""
    status = 429
    code = "too_many_attempts"


M = Message

# --- HTTP, request bodies and arguments (motcua/web.py) ------------------------------------------
HTTP_400 = M("http_400", 400, "Yêu cầu không hợp lệ.", "Bad request.")
HTTP_401 = M("http_401", 401, "Cần đăng nhập.", "Please log in.")
HTTP_403 = M("http_403", 403, "Không có quyền.", "Not allowed.")
HTTP_404 = M("http_404", 404, "Không tìm thấy.", "Not found.")
HTTP_405 = M("http_405", 405, "Phương thức không được hỗ trợ.", "Method not allowed.")
HTTP_413 = M("http_413", 413, "Tệp hoặc dữ liệu gửi lên quá lớn.", "The file or data sent is too large.")
HTTP_415 = M("http_415", 415, "Kiểu dữ liệu không được hỗ trợ.", "Unsupported media type.")
HTTP_429 = M("http_429", 429, "Quá nhiều yêu cầu, hãy thử lại sau.", "Too many requests; try again later.")
HTTP_500 = M("http_500", 500,
             "Lỗi máy chủ; dữ liệu chưa bị thay đổi. Hãy thử lại hoặc báo kỹ thuật viên.",
             "Server error; nothing was changed. Try again or call the technician.")
SESSION_EXPIRED_PAGE = M("http_400", 400,
                         "Yêu cầu không hợp lệ (phiên làm việc đã hết hạn? hãy tải lại trang).",
                         "Bad request (has the session expired? reload the page).")
MISSING_TOKEN = M("missing_token", 401,
                  "Thiếu mã truy cập: gửi kèm tiêu đề Authorization: Bearer <token>.",
                  "Missing access token: send the header Authorization: Bearer <token>.")
BAD_UNICODE = M("bad_unicode", 400,
                "Văn bản chứa ký tự không hợp lệ (không phải Unicode chuẩn).",
                "The text holds an invalid character (not proper Unicode).")
JSON_TOO_LARGE = M("json_too_large", 413, "Dữ liệu JSON quá lớn (tối đa {mb} MB).",
                   "The JSON body is too large (at most {mb} MB).")
JSON_TOO_DEEP = M("json_too_deep", 400, "Dữ liệu JSON lồng nhau quá sâu (tối đa {depth} tầng).",
                  "The JSON body nests too deep (at most {depth} levels).")
BAD_JSON = M("bad_json", 422, "Nội dung phải là một đối tượng JSON hợp lệ.",
             "The body must be a valid JSON object.")
BAD_JSON_BODY = M("bad_json", 422, "Dữ liệu gửi lên phải là một đối tượng JSON.",
                  "The data sent must be a JSON object.")
NOT_JSON = M("bad_json", 422, "Nội dung phải là JSON.", "The body must be JSON.")
SHA256_REQUIRED = M("bad_json", 422, "Cần mã băm “sha256” của tệp.", "The file's hash “sha256” is needed.")
BLOBS_REQUIRED = M("bad_json", 422, "Cần danh sách mã băm “blobs”.", "A list of hashes “blobs” is needed.")
BAD_INT_ARG = M("invalid_input", 422, "Tham số “{name}” phải là số nguyên từ {low} đến {high}.",
                "Parameter “{name}” must be a whole number from {low} to {high}.")
BAD_DATE_ARG = M("invalid_input", 422, "Tham số “{name}” phải là ngày dạng YYYY-MM-DD.",
                 "Parameter “{name}” must be a date as YYYY-MM-DD.")
BAD_PAGE = M("invalid_input", 422, "Số trang phải là số nguyên từ 1 đến {high}.",
             "The page must be a whole number from 1 to {high}.")
BAD_PER_PAGE = M("invalid_input", 422, "Số dòng mỗi trang từ 1 đến {high}.",
                 "Rows per page: from 1 to {high}.")
QUERY_TOO_LONG = M("invalid_input", 422, "Từ khoá tìm kiếm quá dài.", "The search words are too long.")
STATUS_CODE_BAD = M("bad_status", 422, "Mã trạng thái không hợp lệ: {value}",
                    "Not a status code: {value}")

# --- accounts, tokens, throttles (motcua/accounts.py, motcua/throttle.py) ------------------------
NO_SUCH_USER = M("invalid_input", 422, "Không có người dùng “{username}”.", "No user “{username}”.")
BAD_USERNAME = M("invalid_input", 422,
                 "Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới.",
                 "A username holds only letters, digits, dots, dashes and underscores.")
BAD_ROLE = M("invalid_input", 422, "Vai trò phải là một trong: {roles}.", "The role must be one of: {roles}.")
WEAK_PASSWORD = M("invalid_input", 422, "Mật khẩu phải có ít nhất {min} ký tự.",
                  "A password needs at least {min} characters.")
USERNAME_TAKEN = M("username_taken", 409, "Tên đăng nhập “{username}” đã có.",
                   "The username “{username}” is already taken.")
BAD_CREDENTIALS = M("bad_credentials", 401, "Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password.")
DISABLE_SELF = M("disable_self", 409, "Không thể tự khoá tài khoản của chính mình.",
                 "You cannot disable your own account.")
BAD_TOKEN = M("bad_token", 401, "Mã truy cập (token) không hợp lệ hoặc đã bị thu hồi.",
              "The access token is not valid or has been revoked.")
UNKNOWN_TOKEN = M("unknown_token", 422, "Không có mã truy cập (token) này, hoặc nó đã bị thu hồi.",
                  "No such access token, or it has been revoked.")
LOGIN_LOCKED = M("too_many_attempts", 429,
                 "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {seconds} giây.",
                 "Too many failed logins. Try again in {seconds} seconds.")
LOOKUP_LOCKED = M("too_many_attempts", 429,
                  "Nhập sai quá nhiều lần cho hồ sơ này. Hãy thử lại sau {seconds} giây.",
                  "Too many wrong tries for this dossier. Try again in {seconds} seconds.")
ADDRESS_LOCKED = M("too_many_attempts", 429, "Nhập sai quá nhiều lần. Hãy thử lại sau {seconds} giây.",
                   "Too many wrong tries. Try again in {seconds} seconds.")
ROLE_FORBIDDEN = M("role_forbidden", 403, "Tài khoản của bạn không có quyền thực hiện thao tác này.",
                   "Your account may not do this.")

# --- people: ID number, phone, e-mail, name, dates (motcua/identity.py) ---------------------------
ID_NOT_TEXT = M("invalid_input", 422,
                "Số định danh cá nhân phải được nhập dạng chuỗi (giữ các số 0 ở đầu).",
                "The personal ID number must be sent as text (keeping its leading zeros).")
ID_MISSING = M("invalid_input", 422, "Chưa nhập số định danh cá nhân.", "The personal ID number is missing.")
ID_NOT_DIGITS = M("invalid_input", 422, "Số định danh cá nhân chỉ được gồm chữ số.",
                  "The personal ID number holds digits only.")
ID_LEGACY = M("invalid_input", 422,
              "Chứng minh nhân dân 9 số đã hết giá trị từ 31/12/2024; "
              "hãy nhập số định danh cá nhân 12 chữ số.",
              "9-digit identity cards expired on 31/12/2024; enter the 12-digit personal ID number.")
ID_LENGTH = M("invalid_input", 422,
              "Số định danh cá nhân phải có đúng 12 chữ số (đã nhập {n} chữ số).",
              "The personal ID number has exactly 12 digits ({n} entered).")
ID_PROVINCE = M("invalid_input", 422,
                "Mã tỉnh {province} (3 chữ số đầu) không phải mã nơi đăng ký khai sinh hợp lệ.",
                "Province code {province} (the first 3 digits) is not a valid birth-registration code.")
ID_BIRTH_YEAR = M("invalid_input", 422,
                  "Chữ số thứ 4 đến 6 ({digits}) ứng với năm sinh {year}, không khớp với "
                  "ngày sinh {born:%d/%m/%Y}.",
                  "Digits 4 to 6 ({digits}) stand for birth year {year}, which does not match the "
                  "date of birth {born:%d/%m/%Y}.")
ID_LEGACY_NO_BIRTH = M("invalid_input", 422,
                       "Số chứng minh nhân dân 9 số không chứa năm sinh và giới tính.",
                       "A 9-digit identity card number holds no birth year or sex.")
PHONE_MISSING = M("invalid_input", 422, "Chưa nhập số điện thoại.", "The phone number is missing.")
PHONE_NOT_DIGITS = M("invalid_input", 422,
                     "Số điện thoại chỉ được gồm chữ số (có thể có dấu cách, dấu chấm, gạch nối "
                     "hoặc đầu +84).",
                     "A phone number holds digits only (spaces, dots, dashes or a leading +84 "
                     "are fine).")
PHONE_PREFIX = M("invalid_input", 422, "Số điện thoại phải bắt đầu bằng 0 hoặc +84.",
                 "A phone number starts with 0 or +84.")
PHONE_LANDLINE = M("invalid_input", 422,
                   "Số máy cố định phải có 11 chữ số, bắt đầu bằng 02 (ví dụ 0203… ở Quảng Ninh); "
                   "đã nhập {n} chữ số.",
                   "A landline number has 11 digits starting with 02 (e.g. 0203… in Quảng Ninh); "
                   "{n} entered.")
PHONE_MOBILE = M("invalid_input", 422, "Số di động phải có đúng 10 chữ số; đã nhập {n} chữ số.",
                 "A mobile number has exactly 10 digits; {n} entered.")
PHONE_OLD_PREFIX = M("invalid_input", 422,
                     "Đầu số 01x (11 số) đã đổi sang đầu 03, 05, 07, 08 từ năm 2018; "
                     "hãy nhập số mới 10 chữ số.",
                     "01x numbers (11 digits) moved to 03, 05, 07, 08 in 2018; enter the new "
                     "10-digit number.")
PHONE_BAD_PREFIX = M("invalid_input", 422,
                     "Đầu số {prefix} không hợp lệ: số di động bắt đầu bằng 03, 05, 07, 08, 09; "
                     "số cố định bắt đầu bằng 02.",
                     "Prefix {prefix} is not valid: mobiles start with 03, 05, 07, 08, 09; "
                     "landlines with 02.")
EMAIL_MISSING = M("invalid_input", 422, "Chưa nhập địa chỉ thư điện tử.", "The e-mail address is missing.")
EMAIL_BAD = M("invalid_input", 422, "Địa chỉ thư điện tử “{email}” không hợp lệ (dạng ten@mien.vn).",
              "The e-mail address “{email}” is not valid (like name@domain.vn).")
NAME_MISSING = M("invalid_input", 422, "Chưa nhập họ và tên.", "The full name is missing.")
NAME_TOO_LONG = M("invalid_input", 422, "Họ và tên dài quá {max} ký tự.",
                  "The full name is longer than {max} characters.")
NAME_DIGITS = M("invalid_input", 422, "Họ và tên không được chứa chữ số.", "A full name holds no digits.")
NAME_NO_LETTER = M("invalid_input", 422, "Họ và tên phải có ít nhất một chữ cái.",
                   "A full name needs at least one letter.")
DATE_MISSING = M("invalid_input", 422, "Chưa nhập ngày.", "The date is missing.")
DATE_FORMAT = M("invalid_input", 422,
                "Ngày “{raw}” không đúng định dạng ngày/tháng/năm (ví dụ 05/09/1985).",
                "The date “{raw}” is not day/month/year (e.g. 05/09/1985).")
DATE_NOT_REAL = M("invalid_input", 422, "Ngày {day:02d}/{month:02d}/{year} không có thật.",
                  "The date {day:02d}/{month:02d}/{year} does not exist.")
DATE_FUTURE = M("invalid_input", 422, "Ngày {value:%d/%m/%Y} ở tương lai (sau hôm nay {today:%d/%m/%Y}).",
                "The date {value:%d/%m/%Y} is in the future (after today, {today:%d/%m/%Y}).")

# --- deadlines and calendars (motcua/deadlines.py, node/holidays.py) -----------------------------
CALENDAR_BAD_DATE = M("invalid_input", 422, "Lịch làm việc có dòng sai ngày: {raw!r}.",
                      "The work calendar has a line with a wrong date: {raw!r}.")
CALENDAR_BAD_KIND = M("invalid_input", 422,
                      "Lịch làm việc: loại ngày “{kind}” ({day:%d/%m/%Y}) không hợp lệ.",
                      "Work calendar: day kind “{kind}” ({day:%d/%m/%Y}) is not valid.")
CALENDAR_TWICE = M("invalid_input", 422, "Lịch làm việc: ngày {day:%d/%m/%Y} bị khai hai lần.",
                   "Work calendar: {day:%d/%m/%Y} is listed twice.")
NEGATIVE_DAYS = M("invalid_input", 422, "Thời hạn giải quyết không được âm.",
                  "The processing time cannot be negative.")
RESUMED_BEFORE_PAUSE = M("invalid_input", 422,
                         "Thời điểm nhận bổ sung không được trước thời điểm tạm dừng.",
                         "The supplement cannot arrive before the pause began.")
BAD_DAY_KIND = M("invalid_input", 422, "Loại ngày phải là một trong: {kinds}.",
                 "The day kind must be one of: {kinds}.")

# --- lifecycle and transitions (motcua/lifecycle.py, node/reception.py, central/dossiers.py) ------
ALREADY_IN_STATUS = M("transition_refused", 409, "Hồ sơ đã ở trạng thái “{status}”.",
                      "The dossier is already “{status}”.")
ALREADY_FINISHED = M("transition_refused", 409,
                     "Hồ sơ đã kết thúc (“{status}”), không thể chuyển trạng thái.",
                     "The dossier is finished (“{status}”); its status cannot change.")
TRANSITION_REFUSED = M("transition_refused", 409,
                       "Không thể chuyển từ “{current}” sang “{target}”. Được phép: {allowed}.",
                       "Cannot go from “{current}” to “{target}”. Allowed: {allowed}.")
BAD_REASON = M("invalid_input", 422, "Lý do phải là văn bản, tối đa {max} ký tự.",
               "The reason must be text, at most {max} characters.")
SUPPLEMENT_REASON_REQUIRED = M("reason_required", 422, "Hãy ghi rõ giấy tờ cần bổ sung.",
                               "Say which papers must be supplied.")
REFUSAL_REASON_REQUIRED = M("reason_required", 422, "Hãy ghi rõ lý do từ chối.",
                            "Say why the dossier is refused.")
BAD_RETURNED_TO = M("invalid_input", 422, "Tên người nhận kết quả không hợp lệ.",
                    "The name of who took the result is not valid.")
TARGET_REQUIRED = M("invalid_input", 422, "Thiếu trạng thái đích (“to”).", "The target status (“to”) is missing.")

# --- the desk: dossiers, scans, ratings, rescheduling (node/) ------------------------------------
DOSSIER_NOT_FOUND = M("dossier_not_found", 404, "Không tìm thấy hồ sơ “{code}”.", "No dossier “{code}”.")
CONFLICT_DOSSIER_NOT_HERE = M("dossier_not_found", 404, "Hồ sơ của xung đột này không có ở điểm này.",
                              "This conflict's dossier is not at this point.")
UNKNOWN_PROCEDURE = M("unknown_procedure", 422, "Không có thủ tục mã “{code}” trong danh mục.",
                      "No procedure “{code}” in the catalogue.")
APPLICANT_MISSING = M("invalid_input", 422, "Thiếu thông tin người nộp hồ sơ.", "The applicant's details are missing.")
FIELD_BAD_VALUE = M("invalid_input", 422, "Giá trị không hợp lệ hoặc quá dài.", "The value is not valid or too long.")
FIELD_REQUIRED = M("invalid_input", 422, "Trường này là bắt buộc.", "This field is required.")
FIELD_NOT_A_CHOICE = M("invalid_input", 422, "Hãy chọn một trong: {choices}.", "Choose one of: {choices}.")
CATALOGUE_FIELDS_BAD = M("invalid_input", 422,
                         "Khai báo trường riêng của thủ tục trong danh mục không hợp lệ: {why}.",
                         "The catalogue's declaration of a procedure's own fields is not valid: {why}.")
COMPONENTS_BAD = M("invalid_input", 422, "Danh sách thành phần hồ sơ không hợp lệ.",
                   "The list of dossier components is not valid.")
COMPONENT_BAD = M("invalid_input", 422, "Thành phần hồ sơ: loại bản hoặc số lượng không hợp lệ.",
                  "Dossier component: the kind of copy or the count is not valid.")
BAD_CHANNEL = M("invalid_input", 422, "Kênh nộp phải là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính).",
                "The channel is 1 (in person), 2 (online) or 3 (by post).")
BAD_NOTES = M("invalid_input", 422, "Ghi chú phải là văn bản, tối đa {max} ký tự.",
              "Notes must be text, at most {max} characters.")
BAD_FEE = M("invalid_input", 422, "Lệ phí phải là số nguyên không âm (đồng).",
            "The fee is a whole number of dong, not negative.")
FEE_RULE_BAD = M("fee_rule_bad", 422, "Mức phí, lệ phí không hợp lệ: {why}",
                 "The fee rule is not valid: {why}")
FEE_COUNT_BAD = M("invalid_input", 422, "Số trang, số bản phải là số nguyên từ 1 đến {max}.",
                  "Pages and copies are whole numbers from 1 to {max}.")
FEE_NOT_COUNCIL = M("fee_not_council", 409,
                    "Thủ tục {code} có mức lệ phí trong danh mục; chỉ sửa được lệ phí do HĐND tỉnh quy định.",
                    "Procedure {code} has its fee in the catalogue; only council-set fees can be set here.")
FEE_UNSET = M("fee_unset", 409,
              "Lệ phí thủ tục này do HĐND tỉnh quy định và chưa được nhập: nhập mức lệ phí trước khi thu.",
              "This fee is set by the provincial council and has not been entered: enter it first.")
FEE_ALREADY_PAID = M("fee_already_paid", 409, "Lệ phí hồ sơ này đã thu (biên lai số {receipt}).",
                     "This dossier's fee was already collected (receipt {receipt}).")
FEE_NOTHING_DUE = M("fee_nothing_due", 409, "Hồ sơ này không phải nộp lệ phí.",
                    "This dossier owes no fee.")
FEE_METHOD_BAD = M("invalid_input", 422, "Hình thức nộp phải là tiền mặt hoặc chuyển khoản.",
                   "Payment is by cash or by transfer.")
FEE_STAGE_BAD = M("invalid_input", 422,
                  "Thời điểm thu phải là khi tiếp nhận, khi bổ sung hoặc khi trả kết quả.",
                  "Collected at reception, at a supplement or at the return.")
FIELDS_INVALID = M("invalid_input", 422, "Có {n} trường chưa hợp lệ: {field} — {first}",
                   "{n} fields are not valid: {field} — {first}")
NOTHING_TO_CHANGE = M("nothing_to_change", 422, "Cần ít nhất một trường cần sửa.",
                      "Give at least one field to correct.")
FIELDS_NOT_CORRECTABLE = M("invalid_input", 422, "Không thể sửa trường: {fields}.",
                           "These fields cannot be corrected: {fields}.")
BAD_RATING = M("invalid_input", 422, "Mức đánh giá phải là: {scale}.", "The rating must be one of: {scale}.")
TOO_EARLY_TO_RATE = M("too_early_to_rate", 409, "Chỉ đánh giá được khi hồ sơ đã có kết quả.",
                      "A dossier can be rated only once it has a result.")
REQUIREMENT_REQUIRED = M("requirement_required", 422, "Hãy chọn giấy tờ mà bản quét này thuộc về.",
                         "Choose the document this scan belongs to.")
UNKNOWN_REQUIREMENT = M("unknown_requirement", 422,
                        "Thủ tục này không có thành phần hồ sơ “{key}”.",
                        "This procedure has no required document “{key}”.")
ATTACHMENT_NOT_FOUND = M("attachment_not_found", 404, "Hồ sơ không có bản quét này.",
                         "The dossier has no such scan.")
SCAN_PURGED = M("scan_purged", 410,
                "Bản quét đã được lưu ở trung tâm và đã xoá khỏi máy này theo quy định "
                "lưu trữ; hãy xem tại trung tâm.",
                "The scan is kept at the center and was removed from this computer under the "
                "retention rules; view it at the center.")
FILE_REQUIRED = M("file_required", 422, "Thiếu tệp (trường “file”).", "The file is missing (field “file”).")
EMPTY_FILE = M("empty_file", 422, "Tệp trống.", "The file is empty.")
FILE_TOO_LARGE = M("file_too_large", 413, "Tệp quá lớn ({size:.1f} MB); tối đa {max:.0f} MB.",
                   "The file is too large ({size:.1f} MB); at most {max:.0f} MB.")
UNSUPPORTED_FILE_TYPE = M("unsupported_file_type", 422, "Chỉ nhận tệp PDF, JPEG, PNG hoặc TIFF.",
                          "Only PDF, JPEG, PNG or TIFF files are taken.")
BAD_SHA256 = M("bad_sha256", 422, "Mã băm tệp không hợp lệ.", "Not a valid file hash.")
SCANS_GONE = M("invalid_input", 422, "Bản quét đã chọn không còn trên máy, hãy chọn lại tệp.",
               "The chosen scan is no longer on this computer; choose the file again.")
SCAN_FILE_BAD = M("invalid_input", 422, "Tệp {filename}: {why}", "File {filename}: {why}")
SCAN_FILE_MISSING = M("file_required", 422, "Hãy chọn tệp bản quét.", "Choose a scan file.")
NOT_WAITING_FOR_SUPPLEMENT = M("not_waiting_for_supplement", 409,
                               "Hồ sơ không ở trạng thái chờ bổ sung.",
                               "The dossier is not waiting for a supplement.")
IRREVERSIBLE_REASON_REQUIRED = M("reason_required", 422,
                                 "Hãy ghi lý do: thao tác này không hoàn tác được.",
                                 "Give the reason: this action cannot be undone.")
IRREVERSIBLE_NOT_CONFIRMED = M("confirmation_required", 422,
                               "Hãy đánh dấu xác nhận: thao tác này không hoàn tác được.",
                               "Tick the confirmation: this action cannot be undone.")
CCCD_QR_BAD = M("invalid_input", 422,
                "Chuỗi QR không phải của thẻ căn cước (cần 7 phần ngăn bởi dấu |).",
                "The QR text is not an ID card's (seven parts separated by |).")
DELAY_REASON_REQUIRED = M("reason_required", 422, "Hãy ghi lý do chậm trễ.", "Give the reason for the delay.")
BAD_NEW_DUE = M("invalid_input", 422, "Ngày hẹn mới không hợp lệ.", "The new due date is not valid.")
BOOK_RANGE_TOO_LONG = M("invalid_input", 422, "Sổ theo dõi xuất tối đa {days} ngày mỗi lần.",
                        "The tracking book exports at most {days} days at a time.")
RULES_BAD = M("invalid_input", 422, "Dữ liệu chưa đúng: {detail}.", "The data is not right: {detail}.")
RULES_KIND_UNKNOWN = M("not_found", 404, "Không có loại quy định “{which}” (chỉ có: {allowed}).",
                       "There are no rules called “{which}” (only: {allowed}).")
RULES_VERSION_TAKEN = M("rules_version_taken", 409, "Phiên bản “{version}” đã được ban hành; hãy đặt tên phiên bản mới.",
                        "Version “{version}” was already issued; give the new one another name.")
ASSIGNEE_UNKNOWN = M("assignee_unknown", 422, "Không có cán bộ “{username}” đang làm việc để phân công.",
                     "There is no active officer “{username}” to assign.")
ASSIGN_CLOSED = M("dossier_finished", 409, "Hồ sơ đã có kết quả hoặc đã kết thúc, không phân công được.",
                  "The dossier has its result or is closed: it cannot be assigned.")
DOSSIER_FINISHED = M("dossier_finished", 409, "Hồ sơ đã kết thúc, không hẹn lại được.",
                     "The dossier is finished; it cannot be rescheduled.")
ALREADY_RESCHEDULED = M("already_rescheduled", 409, "Hồ sơ đã được hẹn lại một lần (Mẫu 04).",
                        "The dossier was already rescheduled once (Form 04).")
APOLOGY_TOO_LATE = M("apology_too_late", 409,
                     "Không thể hẹn lại: thư xin lỗi và hẹn lại (Mẫu 04) phải gửi trước ngày hẹn "
                     "({due:%H:%M %d/%m/%Y}) ít nhất một ngày làm việc.",
                     "Too late to reschedule: the apology and new date (Form 04) must be sent at "
                     "least one working day before the due date ({due:%H:%M %d/%m/%Y}).")
NEW_DUE_NOT_LATER = M("invalid_input", 422,
                      "Ngày hẹn mới phải sau ngày hẹn cũ ({due:%H:%M %d/%m/%Y}).",
                      "The new due date must be after the old one ({due:%H:%M %d/%m/%Y}).")
RANGE_BACKWARDS = M("invalid_input", 422, "“Đến ngày” phải sau “Từ ngày”.", "“To” must be after “From”.")
RANGE_TOO_LONG = M("invalid_input", 422, "Khoảng ngày tối đa {days} ngày.", "At most {days} days at a time.")
LOOKUP_REFUSED = M("lookup_refused", 404, "Mã hồ sơ hoặc mã tra cứu không đúng.",
                   "Wrong dossier code or lookup code.")
BAD_UNIT_CODE = M("invalid_input", 422,
                  "Mã đơn vị chỉ gồm chữ số, chữ cái và dấu chấm (2–20 ký tự), ví dụ 07024.",
                  "A unit code holds only digits, letters and dots (2–20 characters), e.g. 07024.")
POINT_NAME_REQUIRED = M("invalid_input", 422, "Cần tên điểm tiếp nhận, ví dụ “Quan Lạn”.",
                        "The point needs a name, e.g. “Quan Lạn”.")
POINT_NAME_BAD = M("invalid_input", 422, "Cần tên điểm tiếp nhận (tối đa 200 ký tự), ví dụ “Quan Lạn”.",
                   "The point needs a name (at most 200 characters), e.g. “Quan Lạn”.")
ALREADY_INITIALISED = M("already_initialised", 409,
                        "Thư mục này đã là điểm tiếp nhận {unit}. Nếu gõ nhầm mã và điểm chưa nhận hồ sơ nào, chạy lại với --fix-unit-code.",
                        "This folder is already point {unit}. If the code was mistyped and the point has received no dossier yet, run again with --fix-unit-code.")
UNIT_CODE_IN_USE = M("unit_code_in_use", 409,
                     "Không sửa được mã {unit}: điểm đã ghi hồ sơ hoặc đã ghi danh với trung tâm (mã đơn vị nằm trong mọi mã hồ sơ). Hãy khởi tạo một thư mục mới.",
                     "Code {unit} cannot be corrected: the point has recorded dossiers or enrolled with the center (the unit code is in every dossier code). Set up a new folder.")

# --- what a technician types (motcua/inputs.py) and the services (motcua/service.py) -------------
UNIT_CODE_FORMAT = M("bad_unit_code", 422,
                     "Mã đơn vị “{code}” không hợp lệ: cần 5 chữ số (ví dụ 07024) hoặc mã điện tử dạng 000.00.04.H40.",
                     "Unit code “{code}” is not valid: it needs 5 digits (e.g. 07024) or an electronic agency code like 000.00.04.H40.")
DAY_FORMAT = M("bad_date", 422,
               "Ngày “{value}” không hợp lệ: viết dd/mm/yyyy (31/08/2026) hoặc yyyy-mm-dd (2026-08-31).",
               "The day “{value}” is not valid: write dd/mm/yyyy (31/08/2026) or yyyy-mm-dd (2026-08-31).")
URL_FORMAT = M("bad_url", 422,
               "Địa chỉ “{value}” không hợp lệ: cần dạng http://10.0.0.5:8700 (có http:// hoặc https:// ở đầu).",
               "The address “{value}” is not valid: it looks like http://10.0.0.5:8700 (with http:// or https:// in front).")
URL_PORT = M("bad_url", 422, "Cổng trong địa chỉ “{value}” không hợp lệ.",
             "The port in the address “{value}” is not valid.")
PORT_RANGE = M("bad_port", 422, "Cổng {port} không hợp lệ (1–65535).", "Port {port} is not valid (1–65535).")
HOST_UNKNOWN = M("bad_host", 422, "Không tìm thấy địa chỉ “{host}” trên máy này.",
                 "The address “{host}” is not found on this computer.")
PORT_BUSY = M("port_busy", 422,
              "Cổng {port} trên {host} đang bị chương trình khác dùng: dừng chương trình đó hoặc chọn --port khác.",
              "Port {port} on {host} is used by another program: stop it or choose another --port.")
PORT_DENIED = M("port_denied", 422,
                "Không được phép mở cổng {port} (cổng dưới 1024 cần quyền quản trị): chọn --port khác.",
                "Not allowed to open port {port} (ports below 1024 need administrator rights): choose another --port.")
PORT_UNUSABLE = M("port_unusable", 422, "Không mở được cổng {port} trên {host}: {detail}.",
                  "Cannot open port {port} on {host}: {detail}.")
NO_EXECUTABLE = M("no_executable", 422, "Không tìm thấy lệnh `motcua` đã cài.",
                  "The installed `motcua` command is not found.")
PATH_HAS_SPACE = M("bad_path", 422, "Đường dẫn “{path}” có khoảng trắng: chọn thư mục khác.",
                   "The path “{path}” has a space in it: choose another folder.")
NEED_ROOT = M("need_root", 422, "Cần quyền root để tạo người dùng dịch vụ (chạy bằng sudo).",
              "Root rights are needed to create the service's user (run with sudo).")

# --- backup and restore of a point (node/backup.py, central/standing.py, node/rounds.py) ---------
WEAK_PASSPHRASE = M("weak_passphrase", 422, "Mật khẩu sao lưu cần ít nhất {min} ký tự.",
                    "A backup passphrase needs at least {min} characters.")
POINT_EXISTS = M("point_exists", 409,
                 "{folder} đã có một điểm tiếp nhận. Dừng dịch vụ rồi chạy lại với --replace (thư mục cũ được giữ lại bên cạnh).",
                 "{folder} already holds a point. Stop the service, then run again with --replace (the old folder is kept beside it).")
BACKUP_DAMAGED = M("bad_backup", 422, "Bản sao lưu hỏng: {detail}", "The backup is damaged: {detail}")
BACKUP_NO_DATABASE = M("no_database", 422, "Không có cơ sở dữ liệu {path}.", "There is no database {path}.")
BACKUP_ODD_ENTRY = M("bad_backup", 422, "Bản sao lưu chứa mục lạ: {name}.", "The backup holds a strange entry: {name}.")
BACKUP_UNREADABLE = M("bad_backup", 422, "Không đọc được {path}: {detail}.", "Cannot read {path}: {detail}.")
BACKUP_NOT_A_BACKUP = M("bad_backup", 422, "Tệp này không phải bản sao lưu motcua.",
                        "This file is not a motcua backup.")
BACKUP_BAD_PASSPHRASE = M("bad_passphrase", 422, "Sai mật khẩu sao lưu (hoặc tệp đã bị sửa).",
                          "Wrong backup passphrase (or the file was altered).")
BACKUP_CUT_SHORT = M("truncated", 422, "Bản sao lưu bị cắt ngắn hoặc đã bị sửa.",
                     "The backup is cut short or was altered.")
BACKUP_CONTENT_UNREADABLE = M("bad_backup", 422, "Bản sao lưu hỏng (không đọc được nội dung).",
                              "The backup is damaged (its content cannot be read).")
BACKUP_NO_MANIFEST = M("bad_backup", 422, "Bản sao lưu thiếu bảng kê.", "The backup lacks its manifest.")
NEEDS_STANDING = M("needs_standing", 409,
                   "Điểm vừa được khôi phục từ bản sao lưu (hoặc cài lại từ đầu cho một điểm trung tâm đã biết): trung tâm cần báo điểm đang ở đâu trước. Qua mạng: `motcua node sync`; bằng USB: `motcua node export` (ghi câu hỏi), mang tới trung tâm (`central import`), rồi `motcua node import`.",
                   "The point was just restored from a backup (or installed anew for a point the center knows): the center must first tell it where it stands. Over the network: `motcua node sync`; by stick: `motcua node export` (writes the question), take it to the center (`central import`), then `motcua node import`.")
STANDING_FILE_BAD = M("bad_standing_request", 422,
                      "Tệp hỏi/đáp trạng thái sau khôi phục ({what}) hỏng, sai chữ ký, của điểm khác hoặc của một lần khôi phục cũ.",
                      "The after-restore standing file ({what}) is damaged, wrongly signed, another point's or from an older restore.")

# --- the desk's scanner (node/scanner.py) --------------------------------------------------------
SCANNER_NOT_INSTALLED = M("scanner_unavailable", 503, "Máy này chưa cài phần mềm máy quét (gói sane-utils).",
                          "Scanner software is not installed on this computer (package sane-utils).")
SCANNER_SILENT = M("scanner_unavailable", 503, "Máy quét không trả lời.", "The scanner does not answer.")
SCANNER_NONE = M("scanner_unavailable", 503, "Không tìm thấy máy quét nào. Hãy kiểm tra cáp và nguồn.",
                 "No scanner found. Check its cable and power.")
SCANNER_SLOW = M("scanner_unavailable", 503, "Máy quét quá lâu không trả lời.",
                 "The scanner took too long to answer.")
SCANNER_FAILED = M("scanner_unavailable", 503,
                   "Không quét được trên “{device}”. Hãy kiểm tra giấy và máy quét.",
                   "Could not scan on “{device}”. Check the paper and the scanner.")
SCAN_PAGES = M("invalid_input", 422, "Số trang quét từ 1 đến {max}.", "Pages to scan: from 1 to {max}.")
SCAN_MODE = M("invalid_input", 422, "Chế độ quét phải là Gray, Color hoặc Lineart.",
              "The scan mode is Gray, Color or Lineart.")
SCAN_RESOLUTION = M("invalid_input", 422, "Độ phân giải từ 50 đến 600 dpi.", "Resolution: from 50 to 600 dpi.")

# --- conflicts (sync/conflict_review.py, node/conflict_decisions.py, central/conflict_decisions.py) ------------------
CONFLICT_NOT_FOUND = M("conflict_not_found", 404, "Không tìm thấy xung đột này.", "No such conflict.")
ALREADY_RESOLVED = M("already_resolved", 409, "Xung đột này đã được giải quyết.",
                     "This conflict is already resolved.")
BAD_DECISION = M("bad_decision", 422, "Quyết định phải là keep_a, keep_b hoặc value.",
                 "The decision is keep_a, keep_b or value.")
DECISION_NOT_FOR_KIND = M("bad_decision", 422, "Quyết định này không áp dụng cho loại xung đột này.",
                          "This decision does not apply to this kind of conflict.")
BAD_NOTE = M("invalid_input", 422, "Ghi chú phải là văn bản, tối đa {max} ký tự.",
             "The note must be text, at most {max} characters.")
DECISION_STATUS = M("bad_status", 422, "Hãy chọn một trạng thái hợp lệ (mã 1–10).",
                    "Choose a valid status (code 1–10).")
DECISION_VALUE_REQUIRED = M("invalid_input", 422, "Hãy nhập giá trị đúng cho ít nhất một trường.",
                            "Enter a proper value for at least one field.")
DECISION_BAD_FIELD = M("bad_field", 422, "Không sửa được trường “{name}” khi giải quyết xung đột.",
                       "Field “{name}” cannot be changed when resolving a conflict.")
DECISION_VALUE_TYPE = M("invalid_input", 422, "Giá trị của “{name}” phải là văn bản hoặc số.",
                        "The value of “{name}” must be text or a number.")
DECISION_VALUE_LONG = M("invalid_input", 422, "Giá trị của “{name}” quá dài.",
                        "The value of “{name}” is too long.")

# --- the center: dossiers, points, statistics, enrollment (central/) -----------------------------
BAD_OFFICIAL_CODE = M("invalid_input", 422, "Mã hồ sơ chính thức không hợp lệ.",
                      "The official dossier code is not valid.")
OFFICIAL_CODE_TAKEN = M("official_code_taken", 409, "Mã “{official}” đã gắn cho hồ sơ {other}.",
                        "Code “{official}” is already given to dossier {other}.")
OFFICIAL_CODE_TAKEN_ELSEWHERE = M("official_code_taken", 409, "Mã “{official}” đã gắn cho hồ sơ khác.",
                                  "Code “{official}” is already given to another dossier.")
POINT_NOT_FOUND = M("point_not_found", 404, "Không có điểm tiếp nhận “{unit}”.", "No point “{unit}”.")
STATS_RANGE = M("invalid_input", 422, "Ngày kết thúc phải sau ngày bắt đầu.",
                "The end date must be after the start date.")
BAD_DUE_WINDOW = M("invalid_input", 422, "Hạn xử lý phải là một trong: {allowed}.",
                   "The due window must be one of: {allowed}.")
BAD_AMOUNT = M("invalid_input", 422, "Số tiền phải là số đồng nguyên, ví dụ 50.000.",
               "The amount must be a whole number of dong, e.g. 50.000.")
PAYMENT_REQUIRED = M("reason_required", 422, "Hãy ghi khoản phải nộp (phí, lệ phí, thuế) và số tiền.",
                     "Say what must be paid (fee, charge, tax) and how much.")
RESULT_NOT_PDF = M("result_not_pdf", 422, "Tệp kết quả phải là PDF.", "The result file must be a PDF.")
RESULT_FILE_TOO_LARGE = M("result_file_too_large", 413, "Tệp kết quả quá lớn ({size:.1f} MB); tối đa {max:.0f} MB.",
                          "The result file is too large ({size:.1f} MB); at most {max:.0f} MB.")
FILE_NOT_FOR_POINT = M("file_not_for_point", 404, "Trung tâm không giữ tệp này cho điểm tiếp nhận này.",
                       "The center holds no such file for this point.")
SCAN_NOT_AT_CENTER = M("scan_not_at_center", 404,
                       "Bản quét này chưa về đến trung tâm (còn ở điểm tiếp nhận hoặc đang trên đường).",
                       "This scan has not reached the center yet (still at the point or on its way).")
BAD_ACTION_DATE = M("invalid_input", 422, "Ngày phải có dạng ngày/tháng/năm giờ:phút, ví dụ 20/05/2026 16:00.",
                    "A date must read day/month/year hour:minute, e.g. 20/05/2026 16:00.")
ENROLL_TTL = M("invalid_input", 422, "Thời hạn mã ghi danh phải từ 1 phút đến 30 ngày.",
               "An enrollment token lasts from 1 minute to 30 days.")
BAD_PUBLIC_KEYS = M("bad_public_keys", 422, "Khoá công khai của điểm không đọc được.",
                    "The point's public keys cannot be read.")
BAD_ENROLL_PROOF = M("bad_public_keys", 422, "Khóa hoặc chữ ký của điểm không hợp lệ.",
                     "The point's keys or signature are not valid.")
ENROLL_TOKEN_UNKNOWN = M("enroll_token_unknown", 401, "Mã ghi danh không đúng.", "Wrong enrollment token.")
ENROLL_TOKEN_USED = M("enroll_token_used", 403, "Mã ghi danh này đã được dùng.",
                      "This enrollment token was already used.")
ENROLL_TOKEN_EXPIRED = M("enroll_token_expired", 403, "Mã ghi danh đã hết hạn: xin trung tâm cấp mã mới.",
                         "The enrollment token has expired: ask the center for a new one.")
ENROLL_TOKEN_WRONG_UNIT = M("enroll_token_wrong_unit", 403,
                            "Mã ghi danh này dành cho điểm {expected}, không phải {given}.",
                            "This enrollment token is for point {expected}, not {given}.")
ENROLL_REQUEST_WRONG_LANE = M("bad_enroll_file", 422,
                              "Yêu cầu ghi danh của {unit} nằm trong thư mục của {lane}.",
                              "The enrollment request of {unit} sits in the folder of {lane}.")

# --- enrollment and keys, point side (node/enroll.py, sync/enrollfile.py, sync/key_rotation.py) ----
NOT_ENROLLED = M("not_enrolled", 403, "Điểm chưa ghi danh với trung tâm: chạy `motcua node enroll`.",
                 "This point has not enrolled with the center: run `motcua node enroll`.")
CENTER_KEYS_UNREADABLE = M("center_unreachable", 403,
                           "Không đọc được khóa của trung tâm tại {url} ({detail}).",
                           "Cannot read the center's keys at {url} ({detail}).")
CENTER_UNREACHABLE = M("center_unreachable", 403, "Không liên lạc được với trung tâm ({detail}).",
                       "Cannot reach the center ({detail}).")
# Why the center could not be reached, a detail of the two above (never library text: the log has it).
WHY_BAD_ADDRESS = Phrase("địa chỉ không hợp lệ (cần dạng http://10.0.0.5:8700)",
                         "not a valid address (it looks like http://10.0.0.5:8700)")
WHY_TLS = Phrase("lỗi chứng chỉ HTTPS", "an HTTPS certificate error")
WHY_TIMEOUT = Phrase("trung tâm không trả lời kịp (hết thời gian chờ)",
                     "the center did not answer in time (timed out)")
WHY_NO_CONNECTION = Phrase("không kết nối được (sai địa chỉ, trung tâm chưa chạy, hoặc mất mạng)",
                           "no connection (wrong address, the center is not running, or the network is down)")
WHY_HTTP = Phrase("trung tâm trả lời lỗi HTTP {status} (địa chỉ có đúng là trung tâm?)",
                  "the center answered HTTP error {status} (is the address really the center's?)")
WHY_NETWORK = Phrase("lỗi mạng", "a network error")
WHY_NOT_A_CENTER = Phrase("câu trả lời không phải của một trung tâm motcua",
                          "the answer is not a motcua center's")
ENROLL_REFUSED = M("enroll_refused", 403, "Trung tâm từ chối ghi danh: {detail}",
                   "The center refused the enrollment: {detail}")
ENROLL_ANSWER_UNSIGNED = M("wrong_center_key", 403, "Câu trả lời ghi danh không mang chữ ký của trung tâm.",
                           "The enrollment answer is not signed by the center.")
CENTER_KEY_CHANGED = M("wrong_center_key", 403, "Trung tâm trả về khóa khác khóa đã công bố.",
                       "The center answered with a key other than the one it published.")
CENTER_FINGERPRINT = M("wrong_center_key", 403,
                       "Khóa trung tâm ({actual}) không khớp dấu vân tay được cấp ({expected}).",
                       "The center's key ({actual}) does not match the fingerprint given ({expected}).")
CENTER_NOT_PINNED = M("wrong_center_key", 403,
                      "Trung tâm trả lời bằng khóa {actual}, khác khóa đã ghim {pinned}.",
                      "The center answered with key {actual}, not the pinned key {pinned}.")
ENROLL_FILE_UNREADABLE = M("bad_enroll_file", 403, "Không đọc được tệp ghi danh: {detail}.",
                           "Cannot read the enrollment file: {detail}.")
ENROLL_FILE_WRONG_UNIT = M("enroll_token_wrong_unit", 403,
                           "Tệp ghi danh này dành cho điểm {expected}, không phải {given}.",
                           "This enrollment file is for point {expected}, not {given}.")
ENROLL_FILE_EXPIRED = M("enroll_token_expired", 403,
                        "Tệp ghi danh đã hết hạn: xin trung tâm cấp tệp mới "
                        "(hoặc kiểm tra đồng hồ của máy này).",
                        "The enrollment file has expired: ask the center for a new one (or check "
                        "this computer's clock).")
ENROLL_FILE_FORGED = M("bad_enroll_file", 422, "Tệp ghi danh không đúng chữ ký của trung tâm (bị sửa?).",
                       "The enrollment file is not signed by the center (altered?).")
ENROLL_FILE_BAD = M("bad_enroll_file", 422, "Đây không phải tệp ghi danh motcua hợp lệ.",
                    "This is not a valid motcua enrollment file.")
ENROLL_REQUEST_INVALID = M("bad_enroll_file", 422, "Yêu cầu ghi danh không hợp lệ ({reason}).",
                           "The enrollment request is not valid ({reason}).")
ENROLL_REQUEST_BAD = M("bad_enroll_file", 422, "Yêu cầu ghi danh hỏng hoặc không đúng định dạng.",
                       "The enrollment request is damaged or not in the right format.")
CENTER_KEYS_LOST = M("center_keys_lost", 409,
                     "Mất tệp khóa trung tâm {path} trong khi các điểm đã ghim khóa này: không tự tạo khóa mới. Chép lại tệp từ bản sao lưu; nếu chấp nhận mọi điểm phải ghi danh lại, chạy `motcua central init --new-keys`.",
                     "The center's key file {path} is missing while points have pinned this key: no new keys are made silently. Copy the file back from a backup; if every point may enroll again, run `motcua central init --new-keys`.")
HEARTBEAT_BAD = M("bad_heartbeat", 422, "Bản tin tình trạng của điểm hỏng hoặc sai định dạng ({why}).",
                  "The point's heartbeat is damaged or malformed ({why}).")
HEARTBEAT_FOREIGN = M("foreign_heartbeat", 403,
                      "Bản tin tình trạng của {unit} do {sender} gửi: mỗi điểm chỉ báo về chính mình.",
                      "A heartbeat of {unit} sent by {sender}: a point reports only on itself.")
ROTATION_REQUEST_BAD = M("bad_rotation_request", 422, "Yêu cầu đổi khóa hỏng hoặc không đúng định dạng.",
                         "The key-rotation request is damaged or not in the right format.")
ROTATION_WRONG_LANE = M("bad_rotation_request", 403,
                        "Yêu cầu đổi khóa của {unit} nằm trong thư mục của {lane}.",
                        "The key-rotation request of {unit} sits in the folder of {lane}.")
ROTATION_REVOKED = M("revoked_sender", 403, "Điểm {unit} đã bị thu hồi khóa: không đổi khóa được.",
                     "Point {unit}'s keys are revoked: its keys cannot be rotated.")
ROTATION_NOT_ENDORSED = M("bad_endorsement", 403,
                          "Khóa mới của điểm {unit} không được ký bằng khóa hiện hành của điểm: "
                          "từ chối đổi khóa.",
                          "Point {unit}'s new keys are not signed by its current key: rotation refused.")
ROTATION_ANSWER_UNSIGNED = M("bad_rotation_answer", 422,
                             "Xác nhận đổi khóa không mang chữ ký đúng của trung tâm.",
                             "The key-rotation answer is not signed by the center.")
ROTATION_ANSWER_WRONG_UNIT = M("bad_rotation_answer", 422,
                               "Xác nhận đổi khóa dành cho điểm {unit}, không phải {me}.",
                               "The key-rotation answer is for point {unit}, not {me}.")
ROTATION_ANSWER_KEYS = M("bad_rotation_answer", 422, "Trung tâm xác nhận những khóa mà điểm này không có.",
                         "The center confirmed keys this point does not hold.")

# --- a sync round and a USB trip: why a round stopped (`sync.transport.TransportError`, node/rounds.py)
SYNC_UNREACHABLE = M("center_unreachable", 503, "Không liên lạc được với trung tâm ({what}): {why}.",
                     "Cannot reach the center ({what}): {why}.")
# What the point was doing when the link failed, and why it failed: details of the entry above.
STEP_UPLOAD = Phrase("gửi gói", "sending a parcel")
STEP_BLOBS = Phrase("hỏi tệp quét", "asking about scans")
STEP_STANDING = Phrase("hỏi trạng thái ở trung tâm", "asking where the center stands")
STEP_ROTATE = Phrase("đổi khóa", "rotating keys")
STEP_HEARTBEAT = Phrase("báo tình trạng", "sending the heartbeat")
STEP_DOWN = Phrase("nhận gói", "fetching a parcel")
STEP_RECEIPT = Phrase("gửi biên nhận", "sending a receipt")
STEP_FILE = Phrase("nhận tệp từ trung tâm", "fetching a file from the center")
WHY_TIMED_OUT = Phrase("hết thời gian chờ", "timed out")
WHY_CUT = Phrase("mất kết nối", "connection lost")
CENTER_SAID_NO = M("center_refused", 502, "Trung tâm từ chối: {detail}", "The center refused: {detail}")
CENTER_ANSWER_UNSIGNED = M("wrong_center_key", 403, "Câu trả lời không mang chữ ký đúng của trung tâm.",
                           "The answer does not carry the center's signature.")
FILE_HASH_MISMATCH = M("file_hash_mismatch", 502, "Tệp nhận từ trung tâm không khớp mã băm.",
                       "The file from the center does not match its hash.")
SYNC_NOT_ENROLLED = M("not_enrolled", 403, "Điểm chưa ghi danh với trung tâm.",
                      "This point has not enrolled with the center.")
PARCEL_WAITS = M("parcel_waits", 503,
                 "Trung tâm chưa nhận gói số {seq} ({result} {reason}); sẽ gửi lại ở lần sau.",
                 "The center has not taken parcel no. {seq} ({result} {reason}); it goes again next "
                 "time.")
CHUNK_WAITS = M("parcel_waits", 503,
                "Trung tâm chưa nhận mảnh tệp quét ({result} {reason}); sẽ gửi lại ở lần sau.",
                "The center has not taken a scan chunk ({result} {reason}); it goes again next time.")
BLOB_NOT_JOINED = M("parcel_waits", 503, "Trung tâm chưa ghép đủ tệp quét; sẽ gửi lại ở lần sau.",
                    "The center has not joined the whole scan yet; it goes again next time.")
PARCEL_DROPPED = M("parcel_refused", 422,
                   "Trung tâm từ chối gói số {seq} ({events} sự kiện): {reason}. Báo kỹ thuật viên.",
                   "The center refused parcel no. {seq} ({events} events): {reason}. Tell the "
                   "technician.")
DOWN_NOT_APPLIED = M("down_not_applied", 422, "Gói từ trung tâm không áp dụng được ({result}): {detail}",
                     "A parcel from the center could not be applied ({result}): {detail}")
DOWN_REFUSED_HERE = M("down_not_applied", 422, "gói số {seq} của trung tâm: {result}",
                      "the center's parcel no. {seq}: {result}")
STICK_COPY_REFUSED = M("parcel_refused", 422,
                       "Trung tâm từ chối một tệp trên USB (hỏng khi chép?); bản đúng vẫn ở máy này và "
                       "sẽ đi chuyến sau.",
                       "The center refused a file on the stick (damaged while copying?); the right "
                       "copy is still on this computer and goes on the next trip.")
POINT_COPY_REFUSED = M("parcel_refused", 422, "từ chối, đã ghi nhật ký; điểm sẽ gửi lại bản đúng",
                       "refused and logged; the point will send the right copy again")

# What a round or a USB trip reports (the CLI, the clerk's USB page): sentences, not errors.
TRIP_WENT = M("trip_report", 200, "Đã ghi: {what}", "Written: {what}")
TRIP_CAME = M("trip_report", 200, "Đã nhận: {what}", "Taken in: {what}")
TRIP_REFUSED = M("trip_report", 200, "Từ chối {file}: {code} — {message}", "Refused {file}: {code} — {message}")
TRIP_IGNORED = M("trip_report", 200, "Bỏ qua {file}: {why}", "Left alone {file}: {why}")
TRIP_LEFT = M("trip_report", 200, "Còn lại cho chuyến sau: {what}", "Left for the next trip: {what}")
TRIP_NOTHING_LEFT = M("trip_report", 200, "Không còn gì chờ chuyến sau.", "Nothing waits for the next trip.")
ROUND_SUMMARY = M("trip_report", 200,
                  "Gửi {parcels} gói ({events} sự kiện được xác nhận), {blobs} tệp quét ({mb:.1f} MB, "
                  "{held} tệp trung tâm đã có); nhận {down} gói ({down_events} sự kiện). Còn chờ: "
                  "{left_events} sự kiện, {left_blobs} tệp quét.",
                  "Sent {parcels} parcels ({events} events acknowledged), {blobs} scans ({mb:.1f} MB, "
                  "{held} the center already held); took {down} parcels ({down_events} events). "
                  "Waiting: {left_events} events, {left_blobs} scans.")
ROUND_RESUMED = M("trip_report", 200,
                  "trung tâm đã báo điểm đang ở đâu sau khi khôi phục hoặc cài lại: tiếp tục từ đó",
                  "the center said where this point stands after the restore or new install: going on from there")
ROUND_RESUMED_BY_STICK = M("trip_report", 200,
                           "trung tâm đã báo điểm đang ở đâu sau khi khôi phục hoặc cài lại (qua USB): tiếp tục từ đó",
                           "the center said where this point stands after the restore or new install (by USB): going on from there")
ROUND_ASKED_STANDING = M("trip_report", 200,
                         "câu hỏi cho trung tâm: điểm vừa khôi phục hoặc cài lại đang ở đâu (mang USB tới trung tâm rồi `motcua node import`; trước đó điểm không gửi gì)",
                         "a question for the center: where does this restored or newly installed point stand (take the stick to the center, then `motcua node import`; until then the point sends nothing)")
TRIP_WENT_STANDING = M("trip_report", 200, "câu hỏi trạng thái sau khôi phục (ký bằng khóa của điểm)",
                       "the after-restore standing question (signed with the point's key)")
TRIP_WENT_HEARTBEAT = M("trip_report", 200, "bản tin tình trạng của điểm (cho trung tâm)",
                        "the point's heartbeat (for the center)")
CENTER_HEARTBEAT_BY_STICK = M("trip_report", 200, "bản tin tình trạng của điểm {unit}",
                              "the heartbeat of point {unit}")
CENTER_STANDING_BY_STICK = M("trip_report", 200,
                             "điểm {unit} vừa khôi phục hỏi trạng thái: đã trả lời (qua USB)",
                             "point {unit}, just restored, asked where it stands: answered (by USB)")
ROUND_KEYS_SWITCHED = M("trip_report", 200, "trung tâm đã nhận khóa mới: điểm dùng khóa mới từ nay",
                        "the center took the new keys: this point uses them from now on")
PROGRESS_PARCEL = M("trip_report", 200, "gói hồ sơ {n}/{total}", "records parcel {n}/{total}")
PROGRESS_DOWN = M("trip_report", 200, "gói từ trung tâm", "parcels from the center")
PROGRESS_CHUNKS = M("trip_report", 200, "tệp quét: {n} mảnh", "scans: {n} chunks")
TRIP_NO_ROOT = M("trip_report", 200, "không có trên USB: đúng USB chưa?",
                 "not on the stick: is it the right stick?")
TRIP_OTHER_POINT = M("trip_report", 200, "thư mục của điểm khác, để nguyên",
                     "another point's folder, left as it is")
TRIP_NOT_A_LANE = M("trip_report", 200, "không phải thư mục của điểm này, để nguyên",
                    "not a folder of this point, left as it is")
TRIP_WENT_ENROLL = M("trip_report", 200, "yêu cầu ghi danh (đã niêm phong cho trung tâm)",
                     "the enrollment request (sealed for the center)")
TRIP_WENT_ROTATE = M("trip_report", 200, "yêu cầu đổi khóa (khóa mới ký bằng khóa cũ)",
                     "the key-rotation request (new keys signed with the old)")
TRIP_NOT_FOR_POINT = M("trip_report", 200, "gói gửi {recipient}, không phải điểm này",
                       "a parcel for {recipient}, not this point")
TRIP_NOT_FOR_CENTER = M("trip_report", 200, "gói gửi {recipient}, không phải trung tâm",
                        "a parcel for {recipient}, not the center")
EXPORT_WENT = M("trip_report", 200,
                "{parcels} gói hồ sơ ({events} sự kiện), {chunks} mảnh tệp quét ({mb:.1f} MB) vào {lane}",
                "{parcels} records parcels ({events} events), {chunks} scan chunks ({mb:.1f} MB) into "
                "{lane}")
EXPORT_PRUNED = M("trip_report", 200, "xoá {n} tệp cũ trung tâm đã xác nhận",
                  "deleted {n} old files the center confirmed")
EXPORT_LEFT = M("trip_report", 200,
                "{parcels} gói hồ sơ, {chunks} mảnh tệp quét ({mb:.1f} MB): USB đầy hoặc vượt giới hạn",
                "{parcels} records parcels, {chunks} scan chunks ({mb:.1f} MB): the stick is full or "
                "over the limit")
IMPORT_RECEIPTS = M("trip_report", 200,
                    "{parcels} biên nhận gói hồ sơ ({events} sự kiện), {chunks} biên nhận mảnh tệp quét, "
                    "{blobs} tệp quét trung tâm đã đủ",
                    "{parcels} receipts for records parcels ({events} events), {chunks} receipts for "
                    "scan chunks, {blobs} scans whole at the center")
IMPORT_DOWN = M("trip_report", 200, "{applied} gói từ trung tâm áp dụng, {duplicate} gói đã có từ trước",
                "{applied} parcels from the center applied, {duplicate} already held")
IMPORT_STALE = M("trip_report", 200, "{n} biên nhận", "{n} receipts")
IMPORT_STALE_WHY = M("trip_report", 200, "gói đã được xác nhận từ trước",
                     "parcels acknowledged before")
CENTER_IMPORT_CAME = M("trip_report", 200,
                       "{applied} gói áp dụng ({events} sự kiện), {duplicate} gói đã có, {held} gói chờ "
                       "gói trước; {chunks} mảnh tệp quét; {receipts} biên nhận của điểm",
                       "{applied} parcels applied ({events} events), {duplicate} already held, {held} "
                       "waiting for an earlier one; {chunks} scan chunks; {receipts} receipts from the "
                       "point")
CENTER_ENROLLED_BY_STICK = M("trip_report", 200, "ghi danh điểm {unit} {name} (qua USB)",
                             "enrolled point {unit} {name} (by USB)")
CENTER_ROTATED_BY_STICK = M("trip_report", 200, "đổi khóa điểm {unit} (qua USB)",
                            "rotated the keys of point {unit} (by USB)")
CENTER_LANE_NOT_ACTIVE = M("trip_report", 200, "không phải điểm đang hoạt động của trung tâm",
                           "not an active point of the center")
CENTER_DOWN_WENT = M("trip_report", 200,
                     "{unit}: {parcels} gói cho điểm ({written} gói mới ghi), {receipts} biên nhận",
                     "{unit}: {parcels} parcels for the point ({written} newly written), {receipts} "
                     "receipts")

# What `motcua parcel verify` reports about a stick (sync/folder.py): a line per file, problems
# marked, a last line counting them. Sentences of a report, not errors.
V = "verify_report"
VERIFY_BAD = M(V, 200, "LỖI  {problem}", "ERROR  {problem}")
VERIFY_PARCEL_OK = M(V, 200, "tốt  {file} {kind} seq {seq} {size} B", "ok  {file} {kind} seq {seq} {size} B")
VERIFY_CHUNK_OK = M(V, 200, "tốt  {file} {kind} {size} B", "ok  {file} {kind} {size} B")
VERIFY_RECEIPT_OK = M(V, 200, "tốt  {file} biên nhận", "ok  {file} receipt")
VERIFY_SCAN = M(V, 200, "     {lane}: tệp quét {n}: {have}/{length} MB ({state})",
                "     {lane}: scan {n}: {have}/{length} MB ({state})")
SCAN_WHOLE = Phrase("đủ", "whole")
SCAN_PART = Phrase("một phần, phần còn lại đi chuyến khác", "partial, the rest travels on another trip")
VERIFY_NO_KEYS = M(V, 200, "Không có khóa công khai trên USB: chỉ kiểm tra cấu trúc và mã băm, chưa "
                   "kiểm tra chữ ký.", "No public keys on the stick: structure and hashes checked, "
                   "signatures not.")
VERIFY_CENTER_KEY = M(V, 200, "Khóa trung tâm trên USB: {fingerprint}",
                      "The center's key on the stick: {fingerprint}")
VERIFY_ALL_GOOD = M(V, 200, "Tốt: {n} vấn đề.", "Good: {n} problems.")
VERIFY_SOME_BAD = M(V, 200, "CÓ LỖI: {n} vấn đề.", "ERRORS: {n} problems.")
# ... the problems
VERIFY_NOT_A_STICK = M(V, 200, "không thấy thư mục {root}/ trong {folder}: đúng USB chưa?",
                       "no {root}/ folder in {folder}: is it the right stick?")
VERIFY_FILE_BAD = M(V, 200, "{file}: {detail}", "{file}: {detail}")
VERIFY_FILE_REFUSED = M(V, 200, "{file}: {code}: {detail}", "{file}: {code}: {detail}")
VERIFY_OTHER_CENTER = M(V, 200, "{file}: khóa trung tâm khác dấu vân tay {fingerprint}",
                        "{file}: the center's key differs from fingerprint {fingerprint}")
VERIFY_KEYS_UNREADABLE = M(V, 200, "tệp khóa công khai không đọc được hoặc không do trung tâm của nó ký",
                           "public keys file unreadable or not signed by its center")
VERIFY_MANIFEST_UNREADABLE = M(V, 200, "bản kê không đọc được", "manifest unreadable")
VERIFY_MANIFEST_UNSIGNED = M(V, 200, "chữ ký của bản kê không đúng", "manifest signature does not verify")
VERIFY_NO_MANIFEST = M(V, 200, "{lane}: không có bản kê (manifest) hợp lệ", "{lane}: no valid manifest")
VERIFY_ODD_NAME = M(V, 200, "{lane}: bản kê ghi một tên lạ {name}", "{lane}: the manifest lists an odd name {name}")
VERIFY_MISSING = M(V, 200, "{file}: thiếu tệp có trong bản kê", "{file}: missing, though the manifest lists it")
VERIFY_SIZE = M(V, 200, "{file}: kích thước {size}, bản kê ghi {listed}",
                "{file}: size {size}, the manifest says {listed}")
VERIFY_UNLISTED = M(V, 200, "{file}: không có trong bản kê", "{file}: not in the manifest")
VERIFY_HASH = M(V, 200, "{file}: mã băm khác bản kê (bị sửa hoặc chép hỏng)",
                "{file}: hash differs from the manifest (altered or damaged while copying)")
VERIFY_WRONG_LANE = M(V, 200, "{file}: gói của {sender} gửi {recipient}, không thuộc làn này",
                      "{file}: a parcel from {sender} to {recipient}, not of this lane")
VERIFY_GAP = M(V, 200, "{lane}: thiếu gói số {first}..{last} trong chuỗi",
               "{lane}: parcels no. {first}..{last} missing from the chain")
VERIFY_BROKEN_CHAIN = M(V, 200, "{lane}: gói số {seq} không nối tiếp gói số {prev}",
                        "{lane}: parcel no. {seq} does not follow parcel no. {prev}")
VERIFY_NO_WRITER_KEY = M(V, 200, "{file}: không có khóa công khai của {writer}",
                         "{file}: no public key of {writer}")
VERIFY_RECEIPT_BAD = M(V, 200, "{file}: biên nhận {code}", "{file}: receipt {code}")
del V

# --- sync endpoints and resumable uploads (central/sync_api.py, central/uploads.py) --------------
BAD_HEADER = M("bad_header", 422, "Thiếu hoặc sai tiêu đề {name}.", "Header {name} is missing or wrong.")
BAD_REQUEST_SIGNATURE = M("bad_request_signature", 401,
                          "Yêu cầu không mang chữ ký của một điểm đã ghi danh.",
                          "The request is not signed by an enrolled point.")
UPLOAD_UNSIGNED = M("bad_request_signature", 401,
                    "Lượt tải lên phải mang chữ ký của điểm đã ghi danh (cập nhật phần mềm "
                    "của điểm nếu nó đã cũ).",
                    "An upload must be signed by an enrolled point (update the point's software "
                    "if it is old).")
LENGTH_REQUIRED = M("length_required", 411, "Cần Content-Length.", "Content-Length is needed.")
UPLOAD_OVERFLOW = M("upload_overflow", 413, "Dữ liệu vượt quá độ dài đã khai.",
                    "The data goes past the declared length.")
BAD_CONTENT_TYPE = M("bad_content_type", 415, "Content-Type phải là application/offset+octet-stream.",
                     "Content-Type must be application/offset+octet-stream.")
UPLOAD_INCOMPLETE = M("upload_incomplete", 422, "Gói chưa tải lên đủ.", "The parcel is not fully uploaded.")
UPLOAD_HASH_MISMATCH = M("upload_hash_mismatch", 422, "Gói nhận được không khớp mã băm; hãy gửi lại.",
                         "The parcel received does not match its hash; send it again.")
BAD_UPLOAD_ID = M("bad_upload_id", 422, "Mã tải lên phải là SHA-256 của gói.",
                  "The upload id must be the parcel's SHA-256.")
BAD_UPLOAD_OWNER = M("bad_upload_owner", 422, "Điểm không hợp lệ.", "Not a valid point.")
BAD_UPLOAD_LENGTH = M("bad_upload_length", 422, "Upload-Length phải là số nguyên dương.",
                      "Upload-Length must be a positive whole number.")
UPLOAD_TOO_LARGE = M("upload_too_large", 413, "Gói quá lớn.", "The parcel is too large.")
BAD_UPLOAD_PIECES = M("bad_upload_pieces", 422, "Danh sách mã băm từng phần không khớp độ dài gói.",
                      "The list of piece hashes does not fit the parcel's length.")
UPLOAD_LENGTH_CONFLICT = M("upload_length_conflict", 409, "Đã có lượt tải lên này với độ dài khác.",
                           "This upload already exists with another length.")
UPLOAD_QUOTA_EXCEEDED = M("upload_quota_exceeded", 413, "Điểm đã có quá nhiều dữ liệu đang tải lên dở.",
                          "The point already has too much data half uploaded.")
UPLOAD_NOT_FOUND = M("upload_not_found", 404, "Không có lượt tải lên này (có thể đã hết hạn).",
                     "No such upload (it may have expired).")
UPLOAD_OFFSET_MISMATCH = M("upload_offset_mismatch", 409, "Vị trí tải lên là {offset}, không phải {asked}.",
                           "The upload is at offset {offset}, not {asked}.")
UPLOAD_BUSY = M("upload_busy", 409, "Lượt tải lên này đang được nhận ở một kết nối khác; thử lại sau ít giây.",
                "This upload is being taken on another connection; try again in a few seconds.")
STORE_UNAVAILABLE = M("store_unavailable", 503, "Kho lưu trữ tệp của trung tâm tạm thời không trả lời; thử lại sau.",
                      "The center's file store does not answer for now; try again later.")
UPLOAD_PIECE_DAMAGED = M("upload_offset_mismatch", 409,
                         "Một phần gói bị hỏng trên đường truyền; gửi lại từ vị trí {offset}.",
                         "A piece of the parcel was damaged on the way; send again from offset {offset}.")

# --- parcels, receipts, blobs: refusal reasons on both sides (sync/parcel.py, sync/receipt.py…) ---
BAD_MAGIC = M("bad_magic", 422, "Tệp không phải là gói đồng bộ motcua.", "The file is not a motcua sync parcel.")
UNSUPPORTED_VERSION = M("unsupported_version", 422,
                        "Gói dùng định dạng phiên bản {version}, phần mềm này chưa hỗ trợ.",
                        "The parcel uses format version {version}, which this software does not know.")
TRAILING_BYTES = M("trailing_bytes", 422, "Gói có dữ liệu thừa ở cuối, có thể đã bị sửa.",
                   "The parcel has extra bytes at its end; it may have been altered.")
DECRYPT_FAILED = M("decrypt_failed", 422, "Không giải mã được gói (sai khóa nhận hoặc đã bị sửa).",
                   "The parcel cannot be decrypted (wrong recipient key, or altered).")
CONTENT_HASH_MISMATCH = M("content_hash_mismatch", 422, "Nội dung gói không khớp mã băm trong phần đầu gói.",
                          "The parcel's content does not match the hash in its header.")
CHAIN_BROKEN = M("chain_broken", 422, "Gói số {seq} không nối tiếp gói số {last} đã nhận từ {sender}.",
                 "Parcel {seq} does not follow parcel {last} received from {sender}.")
REPLAYED = M("replayed", 422,
             "Số thứ tự {seq} của {sender} đã dùng cho một gói khác (máy trạm khôi phục từ bản sao cũ?).",
             "Sequence number {seq} of {sender} was used for another parcel (a point restored from "
             "an old backup?).")
UNKNOWN_SENDER = M("unknown_sender", 422, "Không biết máy gửi {sender}: chưa đăng ký.",
                   "Unknown sender {sender}: not enrolled.")
UNKNOWN_POINT = M("unknown_sender", 422, "Không biết điểm {unit}.", "Unknown point {unit}.")
REVOKED_SENDER = M("revoked_sender", 422, "Điểm {unit} đã bị thu hồi khóa.", "Point {unit}'s keys are revoked.")
WRONG_RECIPIENT = M("wrong_recipient", 422, "Gói gửi cho {recipient}, không phải cho {expected}.",
                    "The parcel is for {recipient}, not for {expected}.")
BAD_SIGNATURE = M("bad_signature", 422, "Chữ ký của gói không khớp khóa của {sender}.",
                  "The parcel's signature does not match {sender}'s key.")
MALFORMED_HEADER = M("malformed_header", 422, "Phần đầu gói không hợp lệ ({detail}).",
                     "The parcel header is not valid ({detail}).")
MALFORMED_PLAINTEXT = M("malformed_plaintext", 422, "Nội dung gói giải mã ra không hợp lệ ({detail}).",
                        "The parcel's decrypted content is not valid ({detail}).")
TRUNCATED = M("truncated", 422, "Gói bị cắt cụt (tải hoặc chép chưa xong?).",
              "The parcel is cut short (download or copy not finished?).")
TOO_FAR_AHEAD = M("too_far_ahead", 422,
                  "Gói số {seq} đến quá xa trước gói số {missing} còn thiếu; gửi lại sau.",
                  "Parcel {seq} came too far ahead of the missing parcel {missing}; send it later.")
INTERNAL_ERROR_CENTER = M("internal_error", 422, "Trung tâm gặp lỗi khi xử lý gói; đã ghi nhật ký.",
                          "The center failed while handling the parcel; it is in the log.")
INTERNAL_ERROR_POINT = M("internal_error", 422, "Lỗi khi áp dụng gói: {detail}.",
                         "Failed to apply the parcel: {detail}.")
PARCEL_BAD_PAYLOAD = M("bad_payload", 422, "{detail}", "{detail}")
PARCEL_UNAUTHORIZED = M("unauthorized", 422, "{detail}", "{detail}")
MALFORMED_RECEIPT = M("malformed_receipt", 422, "Biên nhận không đọc được.", "The receipt cannot be read.")
RECEIPT_BAD_SIGNATURE = M("bad_signature", 422, "Chữ ký trên biên nhận không hợp lệ.",
                          "The signature on the receipt is not valid.")
RECEIPT_MISMATCH = M("receipt_mismatch", 422, "Biên nhận này là của một gói khác.",
                     "This receipt is for another parcel.")
RECEIPT_NOT_SENT = M("receipt_mismatch", 422, "Biên nhận cho một gói trung tâm không gửi.",
                     "A receipt for a parcel the center did not send.")
BLOB_OUT_OF_RANGE = M("blob_hash_mismatch", 422, "Mảnh tệp quét nằm ngoài kích thước tệp.",
                      "A scan chunk lies outside the scan's size.")
BLOB_INCOMPLETE = M("blob_incomplete", 422, "Tệp quét chưa nhận đủ các mảnh.",
                    "Not all chunks of the scan have arrived.")
BLOB_HASH_MISMATCH = M("blob_hash_mismatch", 422, "Tệp quét ghép lại không khớp mã băm.",
                       "The joined scan does not match its hash.")
BLOB_QUOTA_EXCEEDED = M("blob_quota_exceeded", 422,
                        "Điểm {unit} đã có {held} byte mảnh tệp quét chưa ghép đủ ở trung tâm (tối đa "
                        "{quota}); gửi nốt các tệp quét đang dở trước.",
                        "Point {unit} already has {held} bytes of scan chunks not yet joined at the "
                        "center (at most {quota}); finish the scans under way first.")

# --- who may change what: event refusals (sync/policy.py) ----------------------------------------
EVENT_REFUSED = M("unauthorized", 422, "Sự kiện {kind} ({event}) từ {origin}: {why}",
                  "Event {kind} ({event}) from {origin}: {why}")
EVENT_BAD_PAYLOAD = M("bad_payload", 422, "Sự kiện {kind} ({event}) sai dạng: {detail}",
                      "Event {kind} ({event}) is malformed: {detail}")
FOREIGN_ORIGIN = M("foreign_origin", 422, "gói của {sender} chỉ được mang sự kiện của chính nó.",
                   "a parcel from {sender} may carry only its own events.")
CENTER_ONLY = M("center_only", 422, "chỉ trung tâm được ban hành quy định (danh mục, lịch nghỉ).",
                "only the center issues rules (catalogue, holidays).")
RULE_HAS_DOSSIER = M("center_only", 422, "sự kiện quy định không thuộc hồ sơ nào.",
                     "a rule event belongs to no dossier.")
NO_DOSSIER = M("no_dossier", 422, "sự kiện hồ sơ phải nêu mã hồ sơ.", "a dossier event must name its dossier.")
NOT_OWNER_HERE = M("not_owner", 422, "hồ sơ này không thuộc điểm {point}.",
                   "this dossier does not belong to point {point}.")
RECEIVED_AT_CENTER = M("not_owner", 422, "hồ sơ chỉ được tiếp nhận tại điểm tiếp nhận.",
                       "dossiers are received only at a point.")
CODE_PREFIX = M("code_prefix", 422, "mã hồ sơ phải bắt đầu bằng mã đơn vị của điểm nhận.",
                "a dossier code must start with the receiving point's unit code.")
OWNED_BY = M("not_owner", 422, "hồ sơ này thuộc điểm {owner}.", "this dossier belongs to point {owner}.")
UNKNOWN_DOSSIER = M("unknown_dossier", 422, "nơi nhận không có hồ sơ này.", "the receiver has no such dossier.")
OWNED_BY_OTHER = M("not_owner", 422,
                   "hồ sơ này thuộc điểm {owner}; chỉ điểm đó hoặc trung tâm được thay đổi.",
                   "this dossier belongs to point {owner}; only that point or the center may change it.")

# --- the USB stick (sync/stickfs.py, sync/folder.py) ---------------------------------------------
STICK_SYMLINK = M("symlink", 422, "{label} là liên kết (symlink): không đọc, không ghi, không xoá qua nó.",
                  "{label} is a symlink: nothing is read, written or deleted through it.")
STICK_SYMLINK_DIR = M("symlink", 422,
                      "{label} là liên kết (symlink) ra chỗ khác: không đọc, không ghi gì qua nó.",
                      "{label} is a symlink to elsewhere: nothing is read or written through it.")
STICK_NOT_A_FILE = M("not_a_file", 422, "{label} là thư mục, không phải tệp: để nguyên.",
                     "{label} is a folder, not a file: left as it is.")
STICK_SPECIAL_FILE = M("special_file", 422,
                       "{label} là tệp đặc biệt (FIFO, thiết bị, socket): không đọc, để nguyên.",
                       "{label} is a special file (FIFO, device, socket): not read, left as it is.")
STICK_ROOT_SYMLINK = M("symlink", 422, "{label} là liên kết (symlink): không đọc, không ghi gì qua nó.",
                       "{label} is a symlink: nothing is read or written through it.")
STICK_ROOT_SPECIAL = M("special_file", 422, "{label} là tệp đặc biệt: không đọc, không ghi gì qua nó.",
                       "{label} is a special file: nothing is read or written through it.")
STICK_NOT_A_DIRECTORY = M("not_a_directory", 422, "{label} không phải thư mục: để nguyên.",
                          "{label} is not a folder: left as it is.")
STICK_MISSING = M("missing", 422, "{label}: không có trên USB.", "{label}: not on the stick.")
STICK_UNREADABLE = M("unreadable", 422, "{label}: không đọc được ({detail}).", "{label}: cannot be read ({detail}).")
STICK_TOO_LARGE = M("too_large", 422, "{label}: {size} byte, quá giới hạn {limit} byte: không đọc.",
                    "{label}: {size} bytes, over the limit of {limit} bytes: not read.")
STICK_FULL = M("stick_unusable", 409,
               "USB đã đầy: không còn chỗ ghi. Xoá bớt tệp khác trên USB hoặc dùng USB lớn hơn rồi làm "
               "lại; không có tệp nào bị ghi dở.",
               "The stick is full. Delete other files on it or use a larger stick, then try again; "
               "no file was left half written.")
STICK_NO_RIGHT = M("stick_unusable", 409,
                   "Không có quyền ghi vào USB (chỉ đọc?): không ghi được gì. Kiểm tra USB rồi làm lại.",
                   "No right to write to the stick (read-only?): nothing was written. Check the "
                   "stick and try again.")
STICK_GONE = M("stick_unusable", 409,
               "Lỗi đọc ghi USB (hỏng, hoặc đã bị rút ra?): rút ra, cắm lại rồi làm lại; không có tệp "
               "nào bị ghi dở.",
               "The stick failed to read or write (damaged, or pulled out?): take it out, plug it "
               "back in and try again; no file was left half written.")
STICK_READ_ONLY = M("stick_unusable", 409,
                    "USB đang ở chế độ chỉ đọc (khóa chống ghi?): không ghi được gì. "
                    "Mở khóa hoặc dùng USB khác rồi làm lại.",
                    "The stick is read-only (write-protect switch?): nothing was written. Unlock it "
                    "or use another stick, then try again.")
STICK_WRITE_FAILED = M("stick_unusable", 409,
                       "Không ghi được vào USB ({detail}): kiểm tra USB rồi làm lại; không có tệp "
                       "nào bị ghi dở.",
                       "Cannot write to the stick ({detail}): check it and try again; no file was "
                       "left half written.")
STICK_UNUSABLE = M("stick_unusable", 409, "USB không dùng được: {detail}", "The stick cannot be used: {detail}")
STICK_UNSAFE = M("stick_unusable", 409, "USB không an toàn, không dùng: {detail}",
                 "The stick is not safe; not used: {detail}")

# ---- the queue: tickets, calls, the kiosk's rating
UNKNOWN_QUEUE_GROUP = M("unknown_queue_group", 422, "Không có nhóm dịch vụ “{group}”.",
                        "No service group “{group}”.")
TICKET_NOT_FOUND = M("ticket_not_found", 404, "Không tìm thấy phiếu số thứ tự này.",
                     "No such queue ticket.")
BAD_DESK = M("invalid_input", 422, "Số quầy phải từ 1 đến {max}.", "The desk number is 1 to {max}.")
NO_TICKET_AT_DESK = M("no_ticket_at_desk", 409, "Quầy {desk} chưa gọi số nào.",
                      "Desk {desk} has not called a number.")
ALREADY_RATED = M("already_rated", 409, "Hồ sơ này đã được đánh giá, mỗi hồ sơ chỉ đánh giá một lần.",
                  "This dossier was already rated; a dossier is rated once.")
TICKETS_TOO_FAST = M("too_many_tickets", 429,
                     "Máy này vừa phát nhiều số liên tiếp. Vui lòng chờ {seconds} giây rồi chạm lại; "
                     "nếu đã có phiếu, xin giữ phiếu và chờ gọi số.",
                     "This kiosk has just issued many numbers in a row. Please wait {seconds} seconds "
                     "and tap again; if you have a ticket, keep it and wait to be called.")
TICKETS_FLOOD = M("too_many_tickets", 429,
                  "Hệ thống đang phát quá nhiều số cùng lúc. Vui lòng chờ {seconds} giây rồi chạm lại.",
                  "Too many numbers are being issued at once. Please wait {seconds} seconds and tap "
                  "again.")
NOTHING_TO_RATE = M("nothing_to_rate", 409, "Phiếu này chưa gắn với hồ sơ nào có kết quả để đánh giá.",
                    "This ticket has no dossier with a result to rate.")

del M


def catalogue() -> dict[str, Message]:
    """Every entry by its constant's name, in the order written."""
    return {name: value for name, value in globals().items() if isinstance(value, Message)}


for _name, _message in catalogue().items():
    _message.name = _name
del _name, _message

HTTP_ERRORS = {m.status: m for name, m in catalogue().items() if name == f"HTTP_{m.status}"}


def http_message(status: int) -> Message:
    """The catalogue entry for a bare HTTP error (`http_<status>`); 400's for an unknown status."""
    return HTTP_ERRORS.get(status, HTTP_400)


def error_classes() -> list[type[DomainError]]:
    """DomainError and every subclass defined so far (the apps add a few of their own)."""
    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)
    return [DomainError, *walk(DomainError)]


def codes() -> set[str]:
    """Every stable code the catalogue knows, plus the classes' own defaults."""
    return {m.code for m in catalogue().values()} | {cls.code for cls in error_classes()}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def catalogue_markdown() -> str:
    """The table in docs/errors.md: one row per entry, sorted by code."""
    lines = ["| code | status | name | Vietnamese | English |", "|---|---|---|---|---|"]
    for m in sorted(catalogue().values(), key=lambda m: (m.code, m.name)):
        lines.append(f"| `{m.code}` | {m.status} | `{m.name}` | {_cell(m.vi)} | {_cell(m.en)} |")
    lines += ["", "An error class's own code and status, for an error raised without an entry "
              "(older code, or a sentence passed on from the other side):", "",
              "| class | code | status |", "|---|---|---|"]
    for cls in sorted(error_classes(), key=lambda c: (c.__module__, c.__name__)):
        lines.append(f"| `{cls.__module__}.{cls.__name__}` | `{cls.code}` | {cls.status} |")
    return "\n".join(lines)
