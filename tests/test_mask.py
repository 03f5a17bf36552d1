from __future__ import annotations

import pytest

from tokenscam.mask import mask_pii


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("我的手机 13800001234 随时打", "13800001234"),
        ("身份证 110101199003071234 拍照发我", "110101199003071234"),
        ("卡号 6222 0212 3456 7890 123", "6222 0212 3456 7890 123"),
        ("邮箱 zhang.wei@163.com", "zhang.wei@163.com"),
        ("加微信 tk_vip8888", "tk_vip8888"),
        ("QQ：12345678", "12345678"),
    ],
)
def test_personal_data_is_masked_and_length_kept(text: str, secret: str) -> None:
    masked = mask_pii(text)
    assert secret not in masked
    assert len(masked) == len(text)
    assert "*" in masked


def test_ordinary_numbers_survive() -> None:
    text = "2026年11月买了3台电脑，共15999元"
    assert mask_pii(text) == text
