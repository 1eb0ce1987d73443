"""What the callee hears for a voice code, per JSMS voice_lang (0 Mandarin, 1 English, 2 both)."""

MANDARIN, ENGLISH, MIXED = 0, 1, 2


def spoken_code_text(code: str, voice_lang: int, repeats: int = 2) -> str:
    """The spoken message: digits one by one (clearer than a number), the code repeated."""
    digits = " ".join(code)
    mandarin = "您的验证码是 " + "，重复一遍，".join([digits] * repeats) + "。"
    english = "Your verification code is " + ". Again, ".join([digits] * repeats) + "."
    if voice_lang == MANDARIN:
        return mandarin
    if voice_lang == ENGLISH:
        return english
    return mandarin + " " + english
