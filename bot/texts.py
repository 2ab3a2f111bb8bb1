"""Every sentence the bot says to people, in one place (all Chinese, short enough for a phone)."""

from __future__ import annotations

from config.errors import CaseLinkError

KIND_NAMES = {"article": "文章", "case": "案例"}

HELP = (
    "直接发送关键词即可搜索文章和案例，例如：私域流量\n"
    "· 案例 关键词 / 文章 关键词：只看案例或文章\n"
    "· #标签：按标签查找，例如 #品牌\n"
    "· 更多 / 上一页：翻页\n"
    "· 回复序号（如 2，或 2和3）：得到可转发的卡片\n"
    "· 分享 序号（如 分享 2）：得到朋友圈、微博等分享文案\n"
    "· 最新：看最新发布的内容\n"
    "· 联系方式 / 转人工：找我们的同事\n"
    "· 帮助：再看一遍这段说明"
)
WELCOME = "欢迎关注！这里可以随时找到我们的文章和案例。\n\n" + HELP
# Staff tools are offered to the team; a client who types them still gets them (public content only),
# but a client's help stays about finding content and reaching a person.
EMPLOYEE_HELP = (
    HELP
    + "\n· 标题 品牌 [产品]：5 个标题灵感，回复「换一批」再来 5 个"
    + "\n\n你是员工：搜索结果也包含内部资料（标着【内部】），转发给客户前请确认是公开内容。"
)
# Admin commands, each line with the command words it explains (a test checks that every admin
# command registered with bot.chat.router has a line here).
ADMIN_HELP_LINES = (
    (("邀请",), "· 邀请 张三：员工邀请码（名字会显示在员工名单里）；邀请 管理员 张三：管理员邀请码"),
    (("邀请码",), "· 邀请码：还没用掉的邀请码；撤销 邀请码：作废一个"),
    (("员工", "员工列表", "撤销"), "· 员工：已绑定的员工和管理员；撤销 名字：撤销某人的身份"),
    (("热词",), "· 热词 / 热词 30天：大家在搜什么（客户、员工分开统计）"),
    (("状态", "重建索引"), "· 状态：索引和 Redis 的情况；重建索引：重新读取全部内容"),
    (("同义", "取消同义"), "· 同义 词A 词B：搜词A时也搜词B；取消同义 词A"),
    (("置顶", "取消置顶"), "· 置顶 N：最近一次搜索的第 N 条排第一；取消置顶"),
    (("收藏标题",), "· 收藏标题 标题原文：把看到的好标题收进标题库（确认后保存）"),
    (("撤回",), "· 撤回：撤下你最近转发的文章；撤回 关键词：从标题含关键词的转发文章里选一篇撤下"),
)
ADMIN_HELP = (
    "管理员命令：\n"
    + "\n".join(line for _, line in ADMIN_HELP_LINES)
    + "\n· 把公众号文章转发给我：说明读到了什么，回复 1 公开 / 2 内部 / 3 案例后收录"
    + "\n\n搜索的用法和客户一样，发送「帮助 搜索」查看。"
)

UNSUPPORTED = "暂时只能识别文字和语音哦。请直接发送关键词搜索文章和案例，回复「帮助」查看用法。"
VOICE_WITHOUT_TEXT = "没听清这段语音：语音搜索需要公众号开启「语音识别」功能。请直接发送文字关键词试试。"
INDEX_NOT_READY = "内容库正在准备中，请稍后再试。"
SORRY = "抱歉，刚才出了点问题，请稍后再发一次。"
EMPTY_QUERY = "请发送想找的关键词，例如：品牌建设。回复「帮助」查看用法。"

LIST_HINT = "回复序号得到可转发的卡片"
MORE_HINT = "，回复「更多」看下一页"
RESULTS_LINK = '<a href="{url}">查看全部 {total} 条</a>'
PAGE_INTERNAL_NOTE = "这里只列出公开内容。内部内容请在公众号对话中查看。"
FOUND = "找到 {total} 条与「{query}」相关的内容："
# The first `strong` hits are about the query; the rest are offered as maybe related.
FOUND_STRONG = "找到 {strong} 条与「{query}」直接相关的内容，另有 {rest} 条可能相关："
CORRECTED = "（已按「{corrected}」搜索）"
WEAK = "没有与「{query}」直接匹配的内容，以下是可能相关的阅读："
NOTHING = "没有找到与「{query}」相关的内容。"
TRY_TAGS = "试试这些标签：{tags}"
LATEST_FOR_YOU = "最新内容："
LATEST = "最新{kind}："
NO_CONTENT = "内容库里还没有内容。"
NO_CASES = "内容库里还没有案例，先看看最新的文章："
NO_CASES_FOUND = "没有与「{query}」相关的案例，以下是相关的文章："
NO_CASES_CONTACT = "想了解我们做过的案例，欢迎联系：{contact}"
NO_MORE = "「{query}」的结果已经全部显示了。换个关键词试试？"
NO_SESSION = "还没有可以翻页的搜索，请先发送关键词。"
PAGING_UNAVAILABLE = "现在暂时不能翻页，请直接发送关键词搜索。"
PICK_GONE = "第 {n} 条已失效（内容已更新或你没有查看权限），请重新搜索。"
PICK_RANGE = "只有 {count} 条，回复 1–{count} 选一条。"
PICK_ONLY_ONE = "只有 1 条，回复 1 选它。"
PICK_TOO_FAR = "只能选前 {count} 条，请换个关键词缩小范围。"
PICK_EXPIRED = "刚才的列表已经过期了（30 分钟没有操作）。请重新发送关键词搜索。"
PICK_NO_LIST = "还没有可以选的列表，请先发送关键词搜索。"
PICK_OTHERS = "你选的另外几条："
FIRST_PAGE = "已经是第一页了。回复「更多」看下一页。"
LINK_TOO_LONG = "（链接太长，回复 {n} 得到卡片）"
PENDING_PREFIX = "你之前的消息的结果："
TRIMMED = "……（内容太长，后面的没有显示）"

BIND_USAGE = "请发送「绑定 邀请码」，例如：绑定 ABC234"
BIND_OK = "绑定成功，你现在是{role}，可以搜索到内部资料了。"
BIND_ALREADY = "你已经是{role}，无需再次绑定。"
BIND_BAD = "邀请码无效或已过期，请向管理员确认。"
BIND_BAD_BOUND = "邀请码无效或已过期。你现在已经是{role}，不需要再绑定。"
BIND_TOO_MANY = "尝试次数过多，请一小时后再试。"
BIND_UNAVAILABLE = "现在暂时无法绑定，请稍后再试。"
ROLE_NAMES = {"employee": "员工", "admin": "管理员"}

INVITE_OK = "新的{role}邀请码：{code}{name}\n7 天内有效，只能使用一次。请对方向本公众号发送：绑定 {code}"
INVITE_FOR = "（给 {name}）"
INVITE_NAME_TOO_LONG = "名字太长了（最多 {limit} 个字），请换个短一点的称呼。"
INVITES_NONE = "没有未使用的邀请码。发送「邀请 名字」生成一个。"
INVITES_HEAD = "未使用的邀请码（{count} 个）："
INVITE_LINE = "{code} {role}{name}，{expires} 过期"
REVOKE_USAGE = "用法：撤销 邀请码（作废未使用的邀请码），或 撤销 名字（撤销一位员工）。发送「员工」查看名单。"
REVOKE_INVITE_OK = "邀请码 {code} 已撤销。"
REVOKE_INVITE_GONE = "邀请码 {code} 已被使用、已过期或不存在。"
REVOKE_PERSON_OK = "已撤销 {name} 的{role}身份，对方从下一条消息起是普通客户。"
REVOKE_PERSON_NONE = "名单里没有叫「{name}」的员工或管理员。发送「员工」查看名单。"
REVOKE_PERSON_MANY = "有 {count} 位叫「{name}」，请在管理后台的员工页撤销。"
REVOKE_SELF = "不能撤销你自己。"
TEAM_HEAD = "已绑定的员工和管理员（{count} 人）："
TEAM_LINE = "{n}. {name}（{role}，{at} 绑定{by}）"
TEAM_BY = "，{by} 邀请"
TEAM_NONE = "还没有人绑定。发送「邀请 名字」生成邀请码。"
TEAM_SETTING_ADMINS = "另有 {count} 位管理员写在配置 ADMIN_OPENIDS 里。"
TEAM_MORE = "……共 {count} 人，完整名单见管理后台的员工页。"
UNNAMED = "未署名"
INVITE_UNAVAILABLE = "暂时不可用：现在无法生成邀请码（Redis 连不上），请稍后再试。"
ADMIN_UNAVAILABLE = "暂时不可用：这个操作需要 Redis，现在连不上（搜索不受影响），请稍后再试。"
REINDEX_STARTED = "已开始重建索引，完成后会把结果发给你。"
REINDEX_RUNNING = "已经有一个重建任务在进行，完成后会通知发起人。"
REINDEX_DONE = "索引重建完成：{documents} 篇内容，{problems} 个问题，版本 {generation}。"
REINDEX_FAILED = "索引重建失败：{error}"
UNEXPECTED_ERROR = "服务器出错了（详情见服务日志），请稍后再试"
LINK_ADDED = "已收录：{title}"
LINK_FAILED = "没能收录这篇文章：{error}"
FORWARD_READ = "读到了：《{title}》，正文 {chars} 字。"
FORWARD_PARTIAL = "只读到了转发卡片上的标题和摘要：《{title}》（网页没能打开：{reason}）。"
FORWARD_ASK = "怎么收录？回复 1 公开 / 2 内部 / 3 案例 / 0 取消"
FORWARD_SUGGEST_INTERNAL = "建议回复 2：{where}里写着「{word}」（回复 3 会收为内部案例）。"
FORWARD_REPLACED = "（上一篇《{title}》没有收录。）"
FORWARD_DROPPED = "（刚才转发的《{title}》没有收录：没有回复 1、2 或 3。需要的话请重新转发。）"
FORWARD_CANCELLED = "已取消，这篇没有收录。"
FORWARD_DONE = "已收录为{what}：《{title}》。{who}\n回复「撤回」可以撤下。"
FORWARD_PUBLIC_WHO = "客户和员工都能搜到。"
FORWARD_INTERNAL_WHO = "只有员工能搜到，客户看不到。"
WITHDRAW_NONE = "你还没有转发过可以撤回的文章。要撤回别人转发的，请发送「撤回 标题里的词」。"
WITHDRAW_NOTHING = "没有标题里含「{words}」的转发文章。"
WITHDRAW_LIST = "标题里含「{words}」的转发文章："
WITHDRAW_PICK = "回复序号撤回，回复 0 取消。"
WITHDRAW_CANCELLED = "好的，没有撤回。"
WITHDRAW_OUT_OF_RANGE = "只列出了 {n} 篇，请回复 1–{n} 之间的序号，或回复 0 取消。"
WITHDRAW_GONE = "这篇已经撤回了。"
WITHDRAW_DONE = "已撤回：《{title}》，客户和员工都搜不到了。"
LINK_INDEX_BUSY = "\n索引正在重建，这篇已保存，重建完成后就能搜到。"
LINK_INDEX_FAILED = (
    "\n文章已保存，但这台服务器的索引没能更新：{reason}。详细经过已写入服务日志，发送「重建索引」可重试。"
)
HOT_EMPTY = "最近 {days} 天还没有搜索记录。"
HOT_USAGE = "用法：热词（最近 7 天），或 热词 30天（1–30 天）"
HOT_HEAD = "最近 {days} 天客户的热门搜索（共 {total} 次）："
HOT_ZERO = "客户搜了没有结果的："
HOT_WEAK = "客户搜了没有直接匹配的："
HOT_EMPLOYEES = "员工的热门搜索（共 {total} 次）："
HOT_LINE = "{n}. {query}（{count} 次）"
HOT_NONE = "（无）"

TEACH_SYNONYM_USAGE = (
    "用法：同义 词A 词B\n以后搜索词A时也会搜索词B（词B的结果排在词A的同等结果之后）。例如：同义 抖音运营 双微一抖\n"
    "取消：取消同义 词A 词B"
)
TEACH_SYNONYM_OK = (
    "记住了：以后搜索「{source}」时也会搜索「{target}」，下一条消息起生效。\n取消：取消同义 {source} {target}"
)
TEACH_TARGET_EMPTY = "\n提示：「{target}」现在也搜不到内容，这条规则要等有了相关内容才会带来结果。"
TEACH_SYNONYM_LIST = "已有的同义规则（最新的在前）："
TEACH_SYNONYM_REMOVED = "已取消 {count} 条同义规则：{names}"
TEACH_SYNONYM_NONE = "「{source}」没有同义规则。发送「同义」查看已有的规则。"
TEACH_PIN_USAGE = "先搜索，再发送「置顶 序号」，例如：置顶 2。以后搜索同样的词时，这一条排在第一。"
TEACH_PIN_NO_SEARCH = "请先搜索，再发送「置顶 序号」（置顶的是最近一次搜索的结果）。"
TEACH_PIN_BAD_NUMBER = "最近一次搜索「{query}」没有第 {n} 条，请看清序号再发送。"
TEACH_PIN_GONE = "第 {n} 条已不在内容库里，请重新搜索。"
TEACH_PIN_OK = "已置顶：以后搜索「{query}」时，「{title}」排在第一，下一条消息起生效。\n取消：取消置顶"
TEACH_PIN_INTERNAL = "\n这是内部内容：只有员工会看到它排在第一，客户看不到。"
TEACH_UNPIN_USAGE = "请先搜索，再发送「取消置顶」；或发送「取消置顶 搜索词」。"
TEACH_UNPIN_OK = "已取消「{query}」的 {count} 条置顶。"
TEACH_UNPIN_NONE = "「{query}」没有置顶的内容。"


def describe_error(exc: Exception) -> str:
    """A reason an admin can read: our own errors are written in Chinese; others stay in the log."""
    return str(exc) if isinstance(exc, CaseLinkError) and str(exc) else UNEXPECTED_ERROR


# Share kits (bot.chat.sharing, the kit page) and the internal mark on lists and cards.
INTERNAL_MARK = "【内部】"
SHARE_USAGE = "先发送关键词搜索，再回复「分享 序号」得到那条内容的朋友圈、微博等分享文案，例如：分享 1"
SHARE_NO_LIST = "还没有可以分享的搜索结果：先发送关键词搜索，再回复「分享 序号」。"
SHARE_UNAVAILABLE = "现在暂时不能按序号分享（对话记录不可用），请稍后再试。"
SHARE_OUT_OF_RANGE = "没有第 {n} 条：这次对话里只有 {count} 条结果，请回复「分享 1」到「分享 {count}」。"
SHARE_INTERNAL = "「{title}」是内部资料，只在公司内部使用，不生成分享文案，也请不要转发给客户。"
SHARE_NO_URL = "「{title}」没有可以打开的链接，暂时不能生成分享文案。"
SHARE_HEAD = "「{title}」的分享文案，复制即可使用："
SHARE_MOMENTS = "【朋友圈】"
SHARE_WEIBO = "【微博】（{length} 字，链接按 10 字计）"
SHARE_PAGE = '小红书、短视频脚本和私信客户的文案：<a href="{url}">打开分享页</a>'

# Title ideas (bot.chat.titles).
TITLES_HEAD = "「{brand}」的 {count} 个标题灵感{platform}："
TITLES_HEAD_PLAIN = "{count} 个标题灵感{platform}（发送「标题 品牌 产品」可以换成你的品牌）："
TITLES_PLATFORM = "（适合{platform}）"
TITLES_HINT = "回复「换一批」再来 5 个；「标题 小红书 品牌」只看适合小红书的。"
TITLES_NONE = "没有找到合适的标题模板，换个说法试试，例如：标题 青藤互动 小程序"
TITLES_ALL_SEEN = "这一组的标题灵感都给过了，换个品牌、产品或平台试试，例如：标题 抖音 {brand}"
TITLES_NO_REQUEST = "先发送「标题 品牌 [产品]」，例如：标题 青藤互动 小程序；然后回复「换一批」。"
TITLES_UNAVAILABLE = "现在暂时不能换一批，请重新发送「标题 品牌」。"
TITLE_SAVE_USAGE = "把看到的好标题发给我：收藏标题 标题原文。我会把品牌、产品和数字换成可以替换的位置。"
TITLE_PROPOSED = (
    "建议收成这个模板：\n{pattern}\n风格：{style}{marked}\n"
    "回复「确认」保存，「取消」放弃；也可以直接发改好的模板（可用 {{品牌}} {{产品}} {{行业}} {{人群}} {{数字}}）。"
)
TITLE_MARKED = "；换掉的词：{words}"
TITLE_NOTHING_MARKED = "（没有认出品牌、产品或数字，可以自己改好再发）"
TITLE_BAD = "这个模板用不了：{problem}。请改好再发，或回复「取消」。"
TITLE_SAVED = "已收进标题库（编号 {id}）。以后发送「标题 品牌」时就可能用到它；管理后台「标题库」页可以修改。"
TITLE_EXISTS = "标题库里已经有这个模板了（编号 {id}）。"
TITLE_CANCELLED = "好的，没有保存。"
TITLE_SAVE_FAILED = "现在暂时无法保存（Redis 不可用），请稍后再试。"
