"""Whole numbers written in English words, as papers print them at the start of a sentence
("Ninety patients", "One hundred sixteen patients", "Eighty-eight (78%)")."""

from __future__ import annotations

import re

UNITS_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
)
TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety"
UNITS = {word: value for value, word in enumerate(UNITS_WORDS.split(" "))}
TENS = {word: 10 * value for value, word in enumerate(TENS_WORDS.split(" "), start=2)}
SCALES = {"hundred": 100, "thousand": 1000}
WORD = re.compile(r"[A-Za-z]+")


def numbers_in_words(text: str) -> set[int]:
    """Every whole number a run of number words in `text` spells ('one hundred sixteen' -> 116)."""
    found: set[int] = set()
    total = current = 0
    in_number = False
    for token in [*WORD.findall(text.replace("-", " ")), ""]:
        word = token.lower()
        if word in UNITS or word in TENS:
            current += UNITS.get(word, 0) + TENS.get(word, 0)
        elif word in SCALES and in_number:
            if SCALES[word] == 100:
                current *= 100
            else:
                total, current = (total + current) * 1000, 0
        elif word == "and" and in_number:
            continue
        else:
            if in_number:
                found.add(total + current)
            total = current = 0
            in_number = False
            continue
        in_number = True
    return found
