"""English and Chinese: pages are written in English, and each string has its Chinese here.

The language is the one the operator switched to (a cookie), else the first of the browser's
Accept-Language that the console speaks, else English.
"""

from collections.abc import Callable

LANGUAGES = ("en", "zh")

ZH = {
    "smsgate console": "smsgate 控制台",
    "Overview": "概览",
    "Apps": "应用",
    "Review": "审核",
    "Messages": "消息",
    "Callbacks": "回调",
    "Sandbox": "沙箱",
    "Delivery": "通道",
    "Audit": "操作记录",
    "Sign in": "登录",
    "Sign out": "退出",
    "Name": "名称",
    "Password": "密码",
    "Wrong name or password.": "用户名或密码错误。",
    "Too many failed sign-ins: wait a few minutes.": "登录失败次数过多，请几分钟后再试。",
    "This form has expired; reload the page and try again.": "表单已过期，请刷新页面后重试。",
    "Not found.": "未找到。",
    "Search": "搜索",
    "Create": "创建",
    "Create an app": "创建应用",
    "Balance units (empty: unmetered)": "通用额度（留空：不计量）",
    "The master secret is shown once; copy it now.": "masterSecret 只显示一次，请立即复制。",
    "Copy": "复制",
    "Copied": "已复制",
    "Block": "封禁",
    "Unblock": "解封",
    "Blocked": "已封禁",
    "Active": "正常",
    "Top up": "充值",
    "Units": "条数",
    "Category": "类别",
    "Created": "创建时间",
    "Status": "状态",
    "Quotas": "额度",
    "unmetered": "不计量",
    "Templates in review": "待审核模板",
    "Signatures in review": "待审核签名",
    "Nothing waits for review.": "没有待审核的内容。",
    "Preview": "预览",
    "Segments": "计费条数",
    "Auto-review": "自动审核",
    "passes every rule": "通过全部规则",
    "Proof images": "证明材料",
    "Approve": "通过",
    "Reject": "驳回",
    "Reason": "原因",
    "Type": "类型",
    "Remark": "备注",
    "Signature": "签名",
    "Mobile": "手机号",
    "App": "应用",
    "Since": "开始时间",
    "Until": "结束时间",
    "any": "全部",
    "No messages match.": "没有匹配的消息。",
    "Message": "消息",
    "Channel": "渠道",
    "Template": "模板",
    "Provider": "通道商",
    "Provider ids": "通道消息 ID",
    "Report status": "回执状态",
    "Timeline": "时间线",
    "Code checks": "验证记录",
    "Content": "内容",
    "Waiting": "等待中",
    "Dead": "失败",
    "Replay": "重发",
    "Replay all": "全部重发",
    "Attempts": "尝试次数",
    "Last error": "最近错误",
    "Due": "下次",
    "None.": "无。",
    "Inbox": "收件箱",
    "Delivered": "送达时间",
    "Text": "文本",
    "Audio": "语音",
    "State": "状态",
    "Workers": "进程",
    "Submitted": "提交",
    "Accepted": "接受",
    "Rejected": "拒绝",
    "Failed": "失败",
    "Sends per hour (last 24 h)": "每小时发送量（最近 24 小时）",
    "Outbox depth": "待发队列",
    "oldest": "最早",
    "Providers": "通道",
    "When": "时间",
    "Operator": "操作员",
    "Action": "操作",
    "Target": "对象",
    "Detail": "详情",
    "sms": "短信",
    "voice": "语音",
    "accepted": "已受理",
    "submitted": "已提交",
    "delivered": "已送达",
    "failed": "失败",
    "Filter": "筛选",
    "Reset": "重置",
    "Open": "打开",
    "Verification": "验证码",
    "verified": "已验证",
    "not verified": "未验证",
    "expires": "过期时间",
    "wrong tries": "错误次数",
    "units": "条",
    "no worker": "无进程",
    "Units: a whole number of 1 or more, within the quota's limit.": (
        "条数：1 以上的整数，且不超过额度上限。"
    ),
    "A name of 1 to 100 characters.": "名称为 1 到 100 个字符。",
    "A rejection needs a reason.": "驳回需要填写原因。",
    "Routes": "路由",
    "report": "回执",
    "receipt": "回执",
    "final": "最终状态",
    "failover": "切换通道",
    "callback": "回调",
    "verify": "验证",
    "refused": "已拒绝",
    "deferred": "延后重试",
    "gave_up": "放弃投递",
    "provider_refused": "通道拒收",
    "voice_fallback": "语音补发",
    # One app's page (pages/app_page.py, app_settings.py, app_replies.py; templates/app.html)
    "New master secret": "新的 masterSecret",
    "The old master secret no longer works.": "旧的 masterSecret 已失效。",
    "Master secret": "masterSecret",
    "A new secret is shown once; the old one stops working at once. Callbacks are signed with "
    "the new one.": (
        "新的 masterSecret 只显示一次，旧的立即失效。回调将使用新的 masterSecret 签名。"
    ),
    "Rotate the master secret": "重置 masterSecret",
    "Frequency limits": "频率限制",
    "Kind": "类型",
    "Server default": "服务器默认",
    "Use the default": "使用默认",
    "This app's rules": "本应用规则",
    "no limit": "不限制",
    "Save": "保存",
    "Text codes per number": "每个号码的短信验证码",
    "Voice codes per number": "每个号码的语音验证码",
    "Identical notifications per number": "每个号码的相同通知",
    "Marketing per number": "每个号码的营销短信",
    "Rules are COUNT/SECONDS, comma-separated (e.g. 1/60,5/3600); empty for no limit. Nothing "
    "was changed.": (
        "规则格式为 次数/秒数，用逗号分隔（如 1/60,5/3600）；留空表示不限制。未做任何修改。"
    ),
    "IP allowlist": "IP 白名单",
    "IP addresses or CIDRs, comma-separated; empty for anywhere": (
        "IP 地址或 CIDR，用逗号分隔；留空表示不限来源"
    ),
    "IP addresses or CIDRs, comma-separated; empty for anywhere. Nothing was changed.": (
        "IP 地址或 CIDR，用逗号分隔；留空表示不限来源。未做任何修改。"
    ),
    "Callback URL": "回调地址",
    "checked": "验证于",
    "The app's master secret (needed once, to sign callbacks)": (
        "应用的 masterSecret（仅需一次，用于回调签名）"
    ),
    "Clear": "清除",
    "The callback URL was not changed.": "回调地址未修改。",
    "Send a test callback": "发送测试回调",
    "Test callback": "测试回调",
    "No test callback was sent.": "未发送测试回调。",
    "Reply numbers": "上行号码",
    "Number": "号码",
    "Add": "添加",
    "Remove": "移除",
    "A reply number is digits (spaces, +, - and brackets are ignored).": (
        "上行号码只能是数字（空格、+、- 和括号会被忽略）。"
    ),
    "This number belongs to another app.": "该号码已属于其他应用。",
    "Developer account": "开发者账号",
    "Pool": "额度池",
    "Move to this app": "划拨到本应用",
    "This app belongs to no developer account.": "本应用不属于任何开发者账号。",
    # --- Developer accounts; an app's pumping defence and spend caps ---
    "Developers": "开发者",
    "Create a developer account": "创建开发者账号",
    "The devSecret is shown once; copy it now.": "devSecret 只显示一次，请立即复制。",
    "Top up the pool": "为额度池充值",
    "Move from the pool": "从额度池划拨",
    "Create an app for this developer": "为该开发者创建应用",
    "An app joins a developer account when it is created; an existing app is not moved.": (
        "应用只能在创建时归属开发者账号；已有应用不会被转移。"
    ),
    "Pumping defence and spend caps": "防刷量与消费上限",
    "Countries are ISO codes (CN,HK), prefixes +digits, caps whole units (empty for none), "
    "country caps CC=HOURLY/DAILY with - for none. Nothing was changed.": (
        "国家为 ISO 代码（如 CN,HK），号段为 + 加数字，上限为整数条数（留空表示不设），"
        "国家上限格式为 国家=每小时/每天（- 表示不设）。未做任何修改。"
    ),
    "Mode": "模式",
    "Off": "关闭",
    "Shadow: record only": "影子模式：仅记录",
    "Enforce: refuse": "拦截模式：拒绝发送",
    "Countries the app may send to": "允许发送的国家",
    "This app's countries": "本应用的国家",
    "Blocked prefixes": "禁止的号段",
    "Allowed prefixes (even if high-risk or outside the countries)": (
        "允许的号段（即使属于高风险号段或不在允许国家内）"
    ),
    "Units per clock hour (empty: no cap)": "每个整点小时的条数（留空：不设上限）",
    "Units per local day (empty: no cap)": "每个本地自然日的条数（留空：不设上限）",
    "Caps per country": "分国家上限",
    "Caps are always enforced; the mode decides whether the destination and range rules "
    "refuse (enforce), only record (shadow) or do nothing (off).": (
        "消费上限始终生效；模式决定目的地与号段规则是拒绝发送（拦截）、仅记录（影子）还是不生效（关闭）。"
    ),
    "Spent in the current windows": "当前时段已消费",
    "all countries": "全部国家",
    "hourly": "本小时",
    "daily": "今天",
    # schedules, reports, replies, SMPP binds, code conversion
    "Schedules": "定时短信",
    "Schedule": "定时短信",
    "Reports": "回执",
    "Delivery reports": "送达回执",
    "Replies": "上行回复",
    "Reply number": "回复号码",
    "Newer": "较新",
    "Older": "较早",
    "Page": "页码",
    "Send time": "发送时间",
    "Recipients": "接收人",
    "Parameters": "参数",
    "Refused": "拒绝",
    "Changed": "修改时间",
    "Sent": "已发送",
    "Cancel schedule": "取消定时短信",
    "single": "单条",
    "batch": "批量",
    "pending": "待发送",
    "sent": "已发送",
    "deleted": "已取消",
    "Code conversion (last 24 h): verified / sent": "验证码转化率（最近 24 小时）：已验证 / 已发送",
    "Verified": "已验证",
    "Conversion": "转化率",
    "all": "全部",
    "Top refusal reasons (last 24 h, all processes)": "主要拒绝原因（最近 24 小时，全部进程）",
    "SMPP binds (this process)": "SMPP 连接（本进程）",
    "Bind": "连接",
    "Window in use": "窗口占用",
    "Answered": "已应答",
    "Lost": "丢失",
    "Times bound": "绑定次数",
    "held": "限速中",
    "up": "在线",
    "down": "离线",
    "connecting": "连接中",
    "not in this process: delivery runs in another process": "不在本进程：投递在其他进程中运行",
}


def choose_language(accept_language: str) -> str:
    """The first language of the header the console speaks (q-values respected)."""
    choices: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else "en"


def translator(language: str) -> Callable[[str], str]:
    if language == "zh":
        return lambda text: ZH.get(text, text)
    return lambda text: text
