"""What a member can ask the gate itself: their name, a second app, and for a beheerder more.

``naam`` (show or choose the display name), ``koppel`` (a code to add another
app), ``organisatie`` (which organisation this is), ``privacy`` and ``vergeet
mij`` (``bot.service.privacy``), and for a ``beheerder`` ``uitnodigen`` (an
invitation code, with a Telegram deep link when the bot's name is known),
``leden`` and ``audit``. The access gate asks here before a member's message
goes on to the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.engine.messages import Reply, Say
from bot.org.codes import Code, CodeKind, hash_code, new_code
from bot.org.model import Membership, Organisation, Role, parse_role, roles_text
from bot.service import access_texts as t
from bot.service.people_port import PeopleStore
from bot.service.privacy import privacy_word

NAME_WORDS = 4  # "naam" and more words than this is an answer, not a new name
AUDIT_LINES = 10
LINK_VALID = timedelta(minutes=15)
INVITE_VALID = timedelta(days=7)


@dataclass(frozen=True)
class Answered:
    """The gate answered the message itself (or, for a stranger, stays silent)."""

    replies: list[Reply]


def make_invite(
    people: PeopleStore,
    org: Organisation,
    role: Role,
    *,
    now: datetime,
    uses: int = 1,
    valid: timedelta = INVITE_VALID,
    actor: int | None = None,
) -> str:
    """A new invitation code for ``org`` (stored hashed); the code in clear, once."""
    return _issue(
        people, CodeKind.INVITE, now, valid, uses=max(1, uses), org_id=org.id, role=role, by=actor
    )


def _issue(
    people: PeopleStore,
    kind: CodeKind,
    now: datetime,
    valid: timedelta,
    *,
    uses: int = 1,
    org_id: int | None = None,
    role: Role | None = None,
    person_id: int | None = None,
    by: int | None,
) -> str:
    """A new code of ``kind``, kept by its hash only; the code in clear, once."""
    code = new_code()
    people.add_code(
        Code(
            hash=hash_code(code),
            kind=kind,
            uses_left=uses,
            expires_at=now + valid,
            org_id=org_id,
            role=role,
            person_id=person_id,
            created_by=by,
        ),
        now=now,
    )
    return code


def deep_link(bot_username: str | None, code: str) -> str | None:
    """``https://t.me/<bot>?start=CODE`` when the bot's username is configured."""
    if not bot_username:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def member_word(
    people: PeopleStore,
    word: str,
    rest: str,
    member: Membership,
    now: datetime,
    *,
    telegram_bot: str | None = None,
) -> Answered | None:
    """The gate's answer to a member's ``word`` (``rest``: the words after it);
    None when it is none of these words and the message goes on."""
    if (said := privacy_word(people, word, rest, member, now)) is not None:
        return Answered(said)
    if word == "organisatie":  # a member of one organisation: nothing to pick
        return Answered([Say(t.ONE_ORGANISATION.format(org=member.org.name))])
    if word == "naam" and len(rest.split()) <= NAME_WORDS:
        if not rest:
            return Answered([Say(t.NAME_SHOW.format(name=member.person.name))])
        name = people.rename(member.person.id, rest)
        return Answered([Say(t.NAME_SET.format(name=name))])
    if word == "koppel":
        return Answered([Say(t.LINK_CODE.format(code=_link_code(people, member, now)))])
    if word in ("uitnodigen", "leden", "audit"):
        if not member.has(Role.BEHEERDER):
            return Answered([Say(t.ONLY_BEHEERDER.format(org=member.org.name))])
        if word == "leden":
            return Answered([Say(_members_text(people, member.org))])
        if word == "audit":
            return Answered([Say(_audit_text(people, member.org))])
        return _invite(people, rest, member, now, telegram_bot)
    return None


def _link_code(people: PeopleStore, member: Membership, now: datetime) -> str:
    """A new ``koppel`` code for the member; the code in clear, once."""
    person = member.person.id
    return _issue(people, CodeKind.LINK, now, LINK_VALID, person_id=person, by=person)


def _invite(
    people: PeopleStore, rest: str, member: Membership, now: datetime, telegram_bot: str | None
) -> Answered:
    """``uitnodigen [rol]``: an invitation code for the beheerder's organisation."""
    role = parse_role(rest) if rest else Role.PROFESSIONAL
    if role is None:
        return Answered([Say(t.UNKNOWN_ROLE)])
    code = make_invite(people, member.org, role, now=now, actor=member.person.id)
    link = deep_link(telegram_bot, code)
    text = t.INVITED.format(
        org=member.org.name,
        role=role.value,
        code=code,
        uses=1,
        until=(now + INVITE_VALID).strftime("%d-%m-%Y"),
        link=f"\nOf open: {link}" if link else "",
    )
    return Answered([Say(text)])


def _audit_text(people: PeopleStore, org: Organisation) -> str:
    """The last lines of the organisation's own audit log (never another's)."""
    entries = people.audit(org.id)[-AUDIT_LINES:]
    lines = [t.AUDIT.format(org=org.name)]
    lines += [
        f"{e.at.strftime('%d-%m %H:%M')} #{e.actor or '-'} {e.action.value} {e.subject or ''}"
        for e in entries
    ]
    return "\n".join(line.rstrip() for line in lines)[:600]


def _members_text(people: PeopleStore, org: Organisation) -> str:
    members = people.members(org.id)
    lines = [t.MEMBERS.format(org=org.name)]
    lines += [f"• {m.person.name} (#{m.person.id}): {roles_text(m.roles)}" for m in members]
    text = "\n".join(lines)
    return text if len(text) <= 600 else text[:590] + "\n…"
