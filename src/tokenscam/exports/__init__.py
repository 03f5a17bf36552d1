"""Chat-export readers: WeChat, Telegram, QQ, WhatsApp, LINE, Discord and plain tables."""
