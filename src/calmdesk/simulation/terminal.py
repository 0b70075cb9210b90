"""Terminal mode: ``calmdesk train [SCENARIO] [--lang xx] [--seed N] [--llm]``.

Without a scenario it lists the scenarios of the language.  With one, it plays the role-play on
stdin/stdout — the trainee types a reply, the persona answers — and prints the score at the end
(also after ``/quit``, end of input or Ctrl-C).  The seed is printed so a session can be replayed.
``--llm`` lets a model configured by ``CALMDESK_PERSONA_LLM_*`` word the persona's answers.
"""

from __future__ import annotations

import argparse
import random
import sys
from typing import TextIO

from ._types import Report, Scenario, ScenarioError
from .engine import Session
from .llm import ENV_URL, ChatRephraser, rephraser_from_env
from .scenarios import LANGS, lang_pack, list_scenarios, load_scenario
from .scoring import score_session

__all__ = ["format_report", "train_main"]

EXIT_OK = 0
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="calmdesk train",
        description="Role-play a difficult client in the terminal; scored by the reply coach.",
    )
    p.add_argument("scenario", nargs="?", help="scenario id (omit to list the scenarios)")
    p.add_argument("--lang", default="en", choices=LANGS, help="scenario language (default: en)")
    p.add_argument("--seed", type=int, default=None, help="seed, to replay a session exactly")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument(
        "--llm",
        action="store_true",
        help=f"let the model at ${ENV_URL} word the persona's answers (scripted on any error)",
    )
    return p


def format_report(report: Report, scenario: Scenario) -> str:
    """The final report as plain text, in the scenario's language."""
    pack = lang_pack(scenario.lang)
    t = pack.text
    out = [
        "",
        "=" * 60,
        f"{t('ui.outcome')}: {t('outcome.' + report.outcome)}",
        f"{t('ui.score')}: {report.overall}/100",
        "",
        f"{t('ui.principles')}:",
    ]
    for p in report.principles:
        score = f"{p.score:3d}" if p.score is not None else "  –"
        suffix = "" if p.score is not None else f" ({t('ui.not-exercised')})"
        out.append(f"  {p.principle:2d}. {score}  {p.name}{suffix}")
    if report.went_well:
        out += ["", f"{t('ui.went-well')}:", *(f"  + {x}" for x in report.went_well)]
    if report.practise_next:
        out += ["", f"{t('ui.practise')}:", *(f"  - {x}" for x in report.practise_next)]
    if report.broken_promises:
        out += ["", f"{t('ui.broken')}:", *(f"  ! {x}" for x in report.broken_promises)]
    if report.model_reply:
        out += ["", f"{t('ui.model', turn=report.weakest_turn or 1)}:", f"  {report.model_reply}"]
    return "\n".join(out) + "\n"


def _list(lang: str, out: TextIO) -> None:
    pack = lang_pack(lang)
    out.write(pack.text("ui.scenarios", lang=lang) + "\n")
    for s in list_scenarios(lang):
        out.write(f"  {s.id:28} {s.category:26} {s.title}\n")


def train_main(
    argv: list[str], *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Entry point of ``calmdesk train``; returns the exit code."""
    inp = stdin or sys.stdin
    out = stdout or sys.stdout
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage line
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    try:
        if args.list or not args.scenario:
            _list(args.lang, out)
            return EXIT_OK
        scenario = load_scenario(args.scenario, args.lang)
    except KeyError as exc:
        sys.stderr.write(f"calmdesk train: {exc.args[0]}\n")
        return EXIT_USAGE
    except ScenarioError as exc:
        sys.stderr.write(f"calmdesk train: {exc}\n")
        return EXIT_USAGE
    rephraser: ChatRephraser | None = None
    if args.llm:
        try:
            rephraser = rephraser_from_env()
        except ValueError as exc:
            sys.stderr.write(f"calmdesk train: {exc}\n")
            return EXIT_USAGE
        if rephraser is None:
            sys.stderr.write(f"calmdesk train: --llm: {ENV_URL} unset, the persona is scripted\n")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    pack = lang_pack(scenario.lang)
    t = pack.text
    session = Session(scenario, seed=seed, rephraser=rephraser)
    out.write(f"{scenario.title}  [{scenario.id}, {scenario.lang}, --seed {seed}]\n")
    out.write(f"{t('ui.briefing')}: {scenario.briefing}\n{t('ui.help')}\n\n")
    out.write(f"{t('ui.client')}: {session.opening}\n")
    out.flush()
    try:
        while not session.finished:
            out.write(f"{t('ui.you')}> ")
            out.flush()
            line = inp.readline()
            if not line:  # end of input
                session.quit()
                break
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit", "/q"):
                session.quit()
                break
            try:
                record = session.reply(text)
            except ValueError as exc:  # too long: say so, lose nothing of the session
                out.write(f"! {exc}\n")
                continue
            out.write(f"{t('ui.client')}: {record.persona}\n")
            out.flush()
    except KeyboardInterrupt:
        session.quit()
    result = session.result()
    out.write(format_report(score_session(result, scenario), scenario))
    out.flush()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(train_main(sys.argv[1:]))
