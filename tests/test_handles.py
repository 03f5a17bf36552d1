from __future__ import annotations

import pytest

from tokenscam.handles import extract_handles


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("加微信 tk_vip8888 了解", "wechat", "tk_vip8888"),
        ("加薇信：Abc_12345", "wechat", "abc_12345"),
        ("➕V tokenboss01", "wechat", "tokenboss01"),
        ("扣扣群 6330001785", "qq", "6330001785"),
        ("QQ号:12345678", "qq", "12345678"),
        ("电话 138 0000 1234", "phone", "13800001234"),
        ("+86-139-0000-5678 随时打", "phone", "13900005678"),
        ("飞机 @token_king_2026 私聊", "telegram", "@token_king_2026"),
        ("进群 https://t.me/joinchat_abcd", "telegram", "@joinchat_abcd"),
        ("官网 https://tk-vip.example/reg?id=7 注册", "url", "https://tk-vip.example/reg?id=7"),
        ("打开 token-drop.top 领取", "domain", "token-drop.top"),
        (
            "收款 TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
            "wallet_tron",
            "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
        ),
        (
            "转到 0x52908400098527886E0F7030069857D2E4169EE7",
            "wallet_eth",
            "0x52908400098527886E0F7030069857D2E4169EE7",
        ),
        (
            "BTC: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "wallet_btc",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        ),
        (
            "老地址 1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
            "wallet_btc",
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        ),
    ],
)
def test_handles_are_found(text: str, kind: str, value: str) -> None:
    assert value in extract_handles(text).get(kind, [])


def test_nothing_in_ordinary_text() -> None:
    assert extract_handles("今天下午三点开会，记得带电脑") == {}


def test_an_email_domain_is_not_a_site() -> None:
    assert "domain" not in extract_handles("发到 zhang.wei@163.com 就行")


def test_duplicates_are_dropped() -> None:
    found = extract_handles("vx: abc_12345 再说一遍 vx: abc_12345")
    assert found["wechat"] == ["abc_12345"]
