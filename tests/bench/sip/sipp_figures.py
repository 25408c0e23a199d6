#!/usr/bin/env python3
"""Figures from SIPp's own output files, for bench_sip.sh.

  sipp_figures.py stat STAT_CSV
      the last line of a -trace_stat file: "SUCCESS FAILED RETRANS RATE",
      RATE being successful calls per second from StartTime to CurrentTime
      (microsecond timestamps, unlike ElapsedTime's whole seconds).

  sipp_figures.py latency MESSAGE_FILE METHOD CODE [SKIP]
      from a -trace_msg file: per Call-ID, the time from the first METHOD
      request SIPp sent to the first CODE response it received (SIPp's
      microsecond timestamps, so what a softphone would see). Prints
      "count N first F p50 P p99 Q max M" in milliseconds; the first SKIP
      calls (in sending order) are left out of the percentiles.
"""
import re
import sys

BANNER = re.compile(r"^-{20,} \S+ (\d\d):(\d\d):(\d\d\.\d+)$")
CALL_ID = re.compile(r"^(?:Call-ID|i)\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def stat(path):
    rows = [line.rstrip("\n").split(";") for line in open(path) if line.strip()]
    head, last = rows[0], rows[-1]

    def field(name):
        return last[head.index(name)]

    def epoch(name):  # "date<TAB>time<TAB>epoch.usec"
        return float(field(name).split("\t")[-1])

    success = int(field("SuccessfulCall(C)"))
    elapsed = epoch("CurrentTime") - epoch("StartTime")
    rate = success / elapsed if elapsed > 0 else 0.0
    print(success, field("FailedCall(C)"), field("Retransmissions(C)"), f"{rate:.0f}")


def messages(path):
    """(seconds of day, 'sent'|'received', text) for each traced message."""
    stamp, direction, lines = None, None, []
    for line in open(path, errors="replace"):
        match = BANNER.match(line.rstrip("\n"))
        if match:
            if stamp is not None:
                yield stamp, direction, "".join(lines)
            h, m, s = match.groups()
            stamp, direction, lines = int(h) * 3600 + int(m) * 60 + float(s), None, []
        elif direction is None and stamp is not None and "message sent" in line:
            direction = "sent"
        elif direction is None and stamp is not None and "message received" in line:
            direction = "received"
        elif stamp is not None:
            lines.append(line)
    if stamp is not None:
        yield stamp, direction, "".join(lines)


def percentile(sorted_values, fraction):
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def latency(path, method, code, skip):
    sent, order, answered = {}, [], {}
    for stamp, direction, text in messages(path):
        match = CALL_ID.search(text)
        if not match:
            continue
        call = match.group(1)
        first = text.lstrip().split("\n", 1)[0]
        if direction == "sent" and first.startswith(method + " ") and call not in sent:
            sent[call] = stamp
            order.append(call)
        elif (direction == "received" and first.startswith("SIP/2.0 " + code)
              and call in sent and call not in answered):
            delta = stamp - sent[call]
            answered[call] = (delta + 86400 if delta < 0 else delta) * 1000  # past midnight
    times = [answered[c] for c in order if c in answered]
    if not times:
        print("count 0")
        return
    warm = sorted(answered[c] for c in order[skip:] if c in answered) or sorted(times)
    print(f"count {len(times)} first {times[0]:.2f} p50 {percentile(warm, 0.5):.2f} "
          f"p99 {percentile(warm, 0.99):.2f} max {warm[-1]:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "stat":
        stat(sys.argv[2])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "latency":
        latency(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) == 6 else 0)
    else:
        sys.exit(__doc__)
