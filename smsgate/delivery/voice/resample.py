"""Sample-rate conversion of 16-bit mono speech to the telephone rate (8 kHz).

A windowed-sinc (Blackman) low-pass interpolator: cutting off below the new Nyquist frequency
keeps espeak-ng's 22 kHz sibilants from folding back as hiss. Pure Python is fast enough because
the result is cached per prompt piece (see speech.py), so each piece is converted once.
"""

import math
import operator
from array import array
from fractions import Fraction

TELEPHONE_RATE = 8000
_HALF_TAPS = 16  # zero crossings each side: ample for speech, cheap to compute


def resample(samples: "array[int]", from_rate: int, to_rate: int = TELEPHONE_RATE) -> "array[int]":
    """16-bit samples at `from_rate` as 16-bit samples at `to_rate`."""
    if from_rate == to_rate:
        return array("h", samples)
    step = Fraction(from_rate, to_rate)  # input samples per output sample
    cutoff = min(1.0, to_rate / from_rate) * 0.95  # a little below Nyquist, for the roll-off
    width = _HALF_TAPS / cutoff
    phases = step.denominator  # the fractional position repeats after this many outputs
    kernels = [_kernel(float(Fraction(n) * step % 1), cutoff, width) for n in range(phases)]
    count = len(samples) * to_rate // from_rate
    out = array("h", bytes(2 * count))
    reach = int(width)
    padded = array("h", bytes(2 * reach)) + samples + array("h", bytes(2 * (reach + 1)))
    taps = 2 * reach + 1
    for n in range(count):
        start = n * step.numerator // step.denominator  # index of (center - reach) in padded
        total = sum(map(operator.mul, padded[start : start + taps], kernels[n % phases]))
        out[n] = max(-32768, min(32767, round(total)))
    return out


def _kernel(fraction: float, cutoff: float, width: float) -> list[float]:
    """Weights for input offsets -reach..reach around an output `fraction` past an input."""
    reach = int(width)
    weights = []
    for offset in range(-reach, reach + 1):
        t = offset - fraction
        if abs(t) > width:
            weights.append(0.0)
            continue
        x = math.pi * t * cutoff
        sinc = 1.0 if x == 0 else math.sin(x) / x
        window = (
            0.42 + 0.5 * math.cos(math.pi * t / width) + 0.08 * math.cos(2 * math.pi * t / width)
        )
        weights.append(cutoff * sinc * window)
    return weights
