"""Name the persuasion tactics in a message, with the characters that show each one.

Tactics are what a moderator needs to see ("why was this flagged?") and what lets the model
generalise beyond the exact words of our corpus: a pitch by a stranger still urges, promises,
diverts to a private channel and asks for an ID number. The rules run on normalised text
(:mod:`tokenscam.normalise`), so they see 微信 where the user wrote 薇信.

Two pieces of context keep the rules honest on text that *talks about* scams:

* a hit preceded in its clause by a negation or a caution (不要, 切勿, 谨防, 不会 …) is
  *negated* — 「请勿泄露验证码」 does not ask for a code;
* a hit inside quotation marks is *quoted* — a warning that quotes 「现在不囤以后买不起」 reports
  the pitch rather than making it.

Both are reported separately so that the model can weigh them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .scanner import Scanner

__all__ = ["TACTICS", "Tactic", "Hit", "Tagging", "tag", "tactic_names"]

_NUM = r"[0-9一二两三四五六七八九十百千万几]"


@dataclass(frozen=True, slots=True)
class Tactic:
    """A tactic: its stable name, the label shown to Chinese-speaking moderators, what it means."""

    name: str
    label: str
    description: str
    pattern: str


def _alts(*parts: str) -> str:
    return "|".join(parts)


_N = _NUM + "+"

TACTICS: tuple[Tactic, ...] = (
    Tactic(
        "hoarding",
        "囤积待涨",
        "hoard the asset now and wait for it to rise",
        _alts(
            r"囤(币|货|词元|token|u|额度|算力|点|一批|着|了|起来)|储备(词元|token|算力)|存(词元|token|币)",
            r"越(放|囤|存|拿)越(值钱|贵|值)|涨了(随时|再|就)(能)?卖|放着(等)?(涨|升值)|等(涨|牛|起飞)|抄底|捡漏",
            r"(拿|捂)得?住|长期持有|屯",
        ),
    ),
    Tactic(
        "fomo_scarcity",
        "制造紧迫/稀缺",
        "urgency and scarcity: buy now or miss out, prices about to rise",
        _alts(
            r"现在不(囤|买|上车|入手|进场|入场|上)",
            r"不(囤|买|上车|入场)(就|以后|将来|的话)?.{0,6}(买不起|来不及|后悔|没机会|追不上|晚了|哭)",
            r"以后(再|就)?(买不起|买不到|追不上|来不及|更贵)",
            r"(错过|晚了)(就|再|这次|这波|这一波)?.{0,3}(没|等|后悔)",
            r"再不(上车|入场|进场|买|囤|抓紧|行动|上)",
            r"最后.{0,2}(一波|一次|一天|一批|一轮|一期|机会|名额|" + _N + r"[个位名份席台天小时])",
            r"仅剩|只剩(下)?" + _NUM,
            r"前" + _N + r"(名|位|个人)",
            r"名额(有限|不多|紧张|告急|快满|已满|只有)",
            r"限(量|额|购)" + _NUM + r"*",
            r"额满|售罄|抢光|手慢无|先到先得|倒计时|机不可失|过了这村|来不及了|赶紧|抓紧",
            r"即将(涨价|上线|截止|关闭|暴涨|上涨|停止|额满|售罄|上所|开盘)",
            r"马上(就)?(涨价|截止|关闭|要?涨|没了)",
            r"稀缺|哭都来不及|窗口期|红利期|早(买|入|上车|进|囤)早(赚|享|受益|发财|得)|越早越好",
            r"今[晚天日].{0,6}(截止|结束|止)|明[天日].{0,4}截止|截止(到|日期)?",
            r"上车|抢(购|名额|占|到)",
            r"(价格|币价)?(马上|即将|很快)?要?暴涨|涨价前|(下个?月|明年|年底|很快|以后|过几天|下周).{0,8}(涨|贵|翻|要"
            + _N
            + r")",
            r"(长期|肯定|一定|必然|必定)(会)?(涨|升值|上涨)|只涨不跌",
            r"晚进|占位|趁(现在|早)|不等人|恢复原价|错失",
            r"慢半拍|别再(慢|错过|犹豫)|(现在|今天)(就是|是)最低(价|点)|(要|想要)的(滴|扣|私|来)",
        ),
    ),
    Tactic(
        "guaranteed_return",
        "承诺收益/保本",
        "promised, guaranteed or daily returns",
        _alts(
            r"稳赚|包赚|保本|保底|保息|零风险|无风险|不会亏|不亏|只赚不赔|稳拿|稳了",
            r"稳(定)?(收益|盈利|回报|赚钱|增值)",
            r"躺赚|躺着(赚|拿|收钱)|坐等(收益|分红|翻倍|收钱)|睡后收入|被动收入|睡觉.{0,4}赚",
            r"日(赚|收益|入|息|化|返|利|结)[^,。!?\n]{0,6}[0-9]",
            r"每(天|日|月|周)(稳定)?.{0,4}(收益|赚|到账|分红|产出|返|领|分配)",
            r"月入(过?万|[0-9])|月(化|收益)",
            r"(年化|年报酬|报酬率|回报率|收益率|利率|回报)[^,。!?\n]{0,6}[0-9]+(\.[0-9]+)?%",
            r"%\s?/\s?(天|日|月)",
            _N + r"倍(收益|回报|利润|涨幅|的量)?",
            r"翻\s?(倍|番|" + _N + r"\s?倍)",
            r"回本|分红|复利|利滚利|静态收益|动态收益|高(额)?(回报|收益|利息)|收益(翻|稳)",
            r"本金(安全|保障|无忧|随时)|拿回" + _NUM,
            r"赚(了|到)?" + _N + r"\s?(万|w|块|元|u)",
            r"(你|每人|一人)(留|拿|得|分)" + _N,
            r"月息|利息|本金(保证|保障|保證)|没亏过|胜率|全胜|涨了?\s?[0-9]+(\.[0-9]+)?%|[+][0-9]+(\.[0-9]+)?%",
            r"分润|累计收益|收益(按月|到账|打到|自动)|稳得很|拿了就是赚|学费.{0,4}赚回|提款机",
            r"百分之"
            + _N
            + r"|[0-9.]+%\s?(一天|每天|每日)|一天"
            + _N
            + r"(块|元|%)|钱?自动到账|收益不错",
            r"赚钱的?(机会|方法|思路|项目|门路)|靠.{0,6}赚钱|出了问题我负责|秒到账?|提(了|现)" + _N,
        ),
    ),
    Tactic(
        "insider_discount",
        "内部渠道/折扣",
        "insider channels and below-official prices",
        _alts(
            r"内部(渠道|价|名额|通道|额度|消息|货源|资源|优惠|福利|员工|配额)",
            r"一手(货源|渠道|资源)|特殊渠道|走渠道|渠道(价|货|拿)|(测试|企业|合作)(额度|配额)",
            r"(打|低至|只要|仅需?|官方价的?|官网价的?|市价的?)" + _NUM + r"(\.[0-9])?折",
            _NUM + r"(\.[0-9])?折(价|拿|出|收|入手|优惠|拿货)",
            r"(市价|官网价?|官方价?)的?" + _NUM + r"成",
            r"骨折价|员工(价|额度|福利|内购)|内购|渠道价|出厂价|批发价|底价",
            r"低于(官方|官网|市场)|比官(方|网)(便宜|低|少|划算)|官(方|网).{0,4}(拿不到|买不到|贵|小白)",
            r"关系(拿|搞)到|后台(直接)?(开|充)|不扣",
            r"(不对外|不公开)(出售|发售|开放)|一般人(我)?不告诉",
            r"白菜价|结算价|对接原厂|原厂(价|直供|直出)|私下(找人|出|卖)",
            r"一手(货|价)|源头|中间没有(任何)?差价|一级(价|市场)|同行都在我这|拿货",
        ),
    ),
    Tactic(
        "resale_profit",
        "转手倒卖获利",
        "buy to resell at a profit",
        _alts(
            r"转手|倒卖|倒手|(赚|吃)(取)?差价|差价|代卖|转售|转卖|转让",
            r"高价(卖|出|转)|溢价(出|卖|转)|套利|搬砖|出货|接盘",
            r"挂(出去|单|到平台)?卖|挂单",
            r"卖(出去|给别人|给(开发者|公司|企业|工作室))|转给(工作室|公司|开发者|别人)",
            r"二级市场|回收(价|渠道)?|包回收|不愁卖",
        ),
    ),
    Tactic(
        "hype_comparison",
        "类比炒作",
        "comparisons to Bitcoin, domains, oil, Moutai and other past booms",
        _alts(
            r"(就像|像|好比|如同|相当于|堪比|比肩|当年|早年|曾经|错过了?|下一个|第二个|新一代的?|同)[^,。!?\n]{0,10}"
            r"(比特币|btc|域名|茅台|石油|黄金|房子|房产|房地产|以太坊|英伟达|原始股)",
            r"数字(石油|黄金)|(ai|新|智能|未来)时代的?(石油|黄金|比特币|硬通货|原始股)|新(石油|黄金|硬通货)|硬通货",
            r"财富密码|暴富|财富自由|一夜(暴富|翻身)|改变命运|阶层跃迁|弯道超车|下一个(风口|比特币|茅台)|风口",
            r"战略(储备|资源)|国运|懂的都懂|懂的人|人生逆袭|第一桶金",
        ),
    ),
    Tactic(
        "contact_diversion",
        "引流私聊",
        "moving the victim to a private channel",
        _alts(
            r"加\s?(我)?\s?(微信|qq|好友|群|telegram|whatsapp|line|赖)",
            r"(?<![隐自公无])私(聊|信(?!息)|我|你|戳|发)|进(群|裙)|入群|拉你(进)?|扫(码|二维码)|二维码",
            r"联系(我|客服|导师|老师|助理|专员|经理|小助手)|找(我|老师|导师|助理)",
            r"(微信|qq|telegram|whatsapp|line)号?\s?[:：]?\s?[a-z0-9_\-]{5,}",
            r"@[a-z][a-z0-9_]{4,}|t\.me/|https?://|www\.|[a-z0-9\-]+\.(example|top|xyz|vip|cc|io)\b",
            r"点击(链接|下方)|戳(链接|我)|链接(在|见)|主页(有|见|看)|看(我)?主页",
            r"(详情|具体)(咨询|私聊|私信)|咨询(我|客服)|评论区(扣|留)|留言.{0,4}(我|想要|了解|领取)",
            r"留(下)?(联系方式|微信|电话)|dd我|滴滴我",
            r"1[3-9][0-9][\s\-]?[0-9]{4}[\s\-]?[0-9]{4}",
            r"扣\s?1|打\s?[「\"“]?1|留言\s?\+\s?1|评论区",
            r"主页|群号|私发",
        ),
    ),
    Tactic(
        "mentor_signals",
        "老师带单/内幕消息",
        "a 'teacher' or group that calls trades, tips or insider news to follow",
        _alts(
            r"(老师|导师|群主|大佬|分析师)(带|喊|每天|发|操作|指导|布局)|带(单|你(赚|操作|上车|翻))|喊单|跟单|跟着.{0,4}(老师|导师|操作|买)",
            r"内幕|消息(面|灵通)|提前(知道|布局|埋伏)|埋伏|拉(盘|升)|主力|庄家|牛股|涨停|金股|信号群|vip群|付费群|会员群",
        ),
    ),
    Tactic(
        "recruitment",
        "拉人头/返佣",
        "downline recruitment and commissions",
        _alts(
            r"招(募|收)?(代理|合伙人|团队长|推广员|分销商|会员)|代理|分销|下线|下级|返佣|佣金|提成",
            r"拉人|拉新|人头|入单|放你下面|(直推|间推|团队|伞下)(奖|业绩|收益)?|层级|级差",
            r"推荐" + _NUM + r"*(人|个人|位)?.{0,4}(奖励|返|回本|收益)|推荐(的)?人",
            r"会员等级|升级(为|成|到)?(vip|代理|合伙人|会员)|裂变|共赢|带(新)?人(赚|奖)",
            r"邀请(好友|码)?.{0,6}(奖励|返|佣)",
        ),
    ),
    Tactic(
        "pii_request",
        "索要隐私信息",
        "asks for ID numbers, phone numbers, codes, bank cards, wallet keys or face scans",
        _alts(
            r"身份证(号|号码|照片|正反面)?|身分证(字号)?|手机号(码)?|验证码|银行卡(号)?|卡号|开户行|信用卡",
            r"助记词|私钥|支付密码|密码",
            r"实名(认证|信息|资料)?|人脸(识别|认证)?|自拍|kyc|绑(定)?(手机|银行卡|卡)",
            r"(钱包)?授权(钱包|签名)?|签名授权|个人信息",
        ),
    ),
    Tactic(
        "upfront_payment",
        "索要押金/转账",
        "asks for a deposit, a fee or a transfer before anything is paid out",
        _alts(
            r"押金|保证金|激活费|手续费|解冻费|认证费|启动费|工本费|服务费|入会费|会员费|gas\s?费?|税(费|金)",
            r"(先|需要?|须|必须|请)(缴|交|付|充|转|汇|打)(纳|款|值|账)?",
            r"(转|汇|打)(一笔|款|账)?.{0,6}(到|进|至)?(指定|这个|我的|公司|平台|托管|安全)(账户|账号|钱包|卡)",
            r"充值.{0,6}(解锁|激活|提现|才能)|提现.{0,6}(需要|须|先)",
            r"入金|汇款|打款",
            r"存款验证|(先)?把钱(交|转|打)|钱转过来|交了?(钱|费)|验证.{0,4}(资金|账户|活性)",
        ),
    ),
    Tactic(
        "fake_official",
        "冒充官方",
        "fake official subscriptions, buy-backs, subsidies and notices",
        _alts(
            r"官方(认购|通道|回购|补贴|通知|授权|指定|合作|发放|扶持|认证|白名单|内测|背书|承诺|专属)",
            r"国家(级)?.{0,4}(项目|扶持|背书|政策支持|战略)|政府(扶持|背书|项目)",
            r"监管(备案|认证)|备案(平台|项目)|白名单|央行(数字|发行)|数据局(认证|授权|备案|指定)",
            r"正规(平台|备案|持牌)|(平台|系统)(通知|公告)|账户(冻结|异常|升级)|实名升级|额度(回购|补贴)",
            r"回购(计划|通道|价)?|认购(通道|名额|资格)?|内测(资格|名额)|合规(平台|项目)|国资(背景|控股)",
            r"(投资人|用户)保护中心|风控部|清退|兑付",
            r"政府的?项目|国家的?项目|红章|盖章|公章",
        ),
    ),
)

# Talk *about* scams: cautions, reports, debunking. Not a tactic: a context the model weighs.
WARNING_PATTERN = (
    r"警惕|谨防|提醒|提防|防范|防骗|骗局|诈骗|骗子|骗术|骗钱|套路|话术|反诈|被骗|上当|报警|别信|不要(相信|信|轻信|理会|加|点)"
    r"|千万(别|不要)|切勿|小心|陷阱|揭秘|曝光|举报|警方|公安|民警|以.{0,8}为(噱头|幌子|名义)|涉嫌|非法集资|传销|庞氏"
    r"|资金盘|杀猪盘|割韭菜|收割|风险提示|投资有风险|理性(看待|投资)|不构成投资建议|不靠谱|智商税|别上当|识破"
)

# What is being sold as an investment: AI tokens, crypto tokens, other assets. A tactic next to
# one of these is a pitch; the same tactic in a fruit-stall ad is marketing.
SUBJECT_PATTERN = (
    r"词元|token|api|额度|算力|大模型|模型调用|调用量|gpu|显卡|节点|积分|点数"
    r"|币|usdt|usdc|nft|数字藏品|藏品|空投|区块链|链上|钱包|交易所|web3|defi|挖矿|矿机|矿池|质押|糖果"
    r"|股票|股权|原始股|个股|牛股|涨停|基金|理财|外汇|黄金|原油|期货|投资|收益|分红|回报|本金|项目|资产|认购"
)

# Negation or caution at the start of a hit's clause turns the hit around.
_NEGATION = re.compile(
    r"(不要|别|勿|切勿|请勿|谨防|警惕|不会|从不|从来不|绝不|决不|不可能|没有|无需|不用|不需要|严禁|禁止|拒绝|不能|并非|不是)"
)
_CLAUSE_BREAK = re.compile(r"[,。!?;\n、:]")
_NEGATION_WINDOW = 8
# 「验证码123456，请勿泄露给他人」: a caution right after the hit protects rather than asks.
_PROTECTIVE_AFTER = re.compile(
    r"[^。!?\n]{0,12}?(请勿|切勿|不要|勿|千万别|谨防|严禁)(向|给|对)?(他人|任何人|别人|陌生人)?"
    r"(泄露|透露|告诉|告知|转发|提供|外泄|出示|出借|转借)"
)

_QUOTE_PAIRS = {"「": "」", "『": "』", "“": "”", "‘": "’", '"': '"', "《": "》", "【": "】"}
_QUOTED = re.compile(r"「[^」]{2,}」|『[^』]{2,}』|“[^”]{2,}”|‘[^’]{2,}’|\"[^\"\n]{2,}\"")

_TACTIC_SCANNER = Scanner([(t.name, t.pattern) for t in TACTICS])
_WARNING_SCANNER = Scanner([("warning", WARNING_PATTERN)])
_SUBJECT_SCANNER = Scanner([("subject", SUBJECT_PATTERN)])
_BY_NAME = {t.name: t for t in TACTICS}


@dataclass(frozen=True, slots=True)
class Hit:
    """One matched stretch of normalised text."""

    tactic: str
    start: int
    end: int
    quoted: bool
    negated: bool


@dataclass(frozen=True, slots=True)
class Tagging:
    """Everything the rules found in one normalised message."""

    hits: tuple[Hit, ...]
    warnings: tuple[tuple[int, int], ...]
    subjects: tuple[tuple[int, int], ...] = ()

    def active(self) -> list[Hit]:
        """Hits that make a claim of their own: neither quoted nor negated."""
        return [h for h in self.hits if not h.quoted and not h.negated]


def tactic_names() -> list[str]:
    return [t.name for t in TACTICS]


def tactic(name: str) -> Tactic:
    return _BY_NAME[name]


def _negated(text: str, start: int, end: int) -> bool:
    window = text[max(0, start - _NEGATION_WINDOW) : start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    if breaks:
        window = window[breaks[-1].end() :]
    if _NEGATION.search(window):
        return True
    return _PROTECTIVE_AFTER.match(text, end) is not None


def tag(text: str) -> Tagging:
    """Find tactics and warning context in normalised ``text``.

    One scan finds all tactics; where two tactics could claim the same characters the first
    listed wins, which is enough for features and for explanations.
    """
    hits: list[Hit] = []
    quotes: list[tuple[int, int]] | None = None
    for name, s, e in _TACTIC_SCANNER.finditer(text):
        if quotes is None:
            quotes = [(q.start(), q.end()) for q in _QUOTED.finditer(text)]
        quoted = any(qs < s and e < qe for qs, qe in quotes)
        hits.append(Hit(name, s, e, quoted, _negated(text, s, e)))
    warnings = tuple((s, e) for _, s, e in _WARNING_SCANNER.finditer(text))
    subjects = tuple((s, e) for _, s, e in _SUBJECT_SCANNER.finditer(text))
    return Tagging(tuple(hits), warnings, subjects)
