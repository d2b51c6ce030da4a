"""One test copy of an issue to one address (subject prefixed [test], the ledger untouched):
`newsdesk send --test ADDRESS` and the desk's test send."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsdesk.errors import InvalidInput, NewsdeskError

if TYPE_CHECKING:
    from newsdesk.issue import Issue
    from newsdesk.mail.providers import Delivery
    from newsdesk.newsroom import Newsroom


def send_test_copy(room: Newsroom, loaded: Issue, delivery: Delivery, address: str) -> str:
    """Send the copy; returns the line saying so. A refusal is a NewsdeskError naming it."""
    from newsdesk.mail.message import MessageFactory
    from newsdesk.mail.smtp import Permanent, Transient
    from newsdesk.mail.subscribers import Subscriber, address_problem, load_subscribers, subscribers_path

    if problem := address_problem(address):
        raise InvalidInput(f"--test: {problem}")
    try:
        listing = load_subscribers(subscribers_path(room.root, room.config.newsroom.subscribers))
        known = listing.find(address)
    except InvalidInput:
        known = None
    factory = MessageFactory(room, loaded)
    if room.config.web.public_url or room.config.newsroom.bounce_address:
        from newsdesk.mail.roster import Roster
        from newsdesk.mail.tokens import bounce_addresses, signed_links

        with room.store() as store:
            factory.links = signed_links(room.config, Roster(store))
            factory.return_path = bounce_addresses(room.config, Roster(store))
            outgoing = factory.build(known or Subscriber(email=address), test=True)
            sender = factory.envelope_sender(address)
    else:
        outgoing = factory.build(known or Subscriber(email=address), test=True)
        sender = factory.envelope_sender(address)
    transport = delivery.open()
    try:
        transport.send(sender, address, outgoing.data)
    except (Permanent, Transient) as refusal:
        raise NewsdeskError(f"the test copy to {address} was not sent: {refusal.reply}") from None
    finally:
        transport.close()
    return f"sent a test copy of {loaded.name} to {address} via {delivery.describe()}"
