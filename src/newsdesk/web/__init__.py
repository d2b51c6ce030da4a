"""The newsroom's web service (`newsdesk serve`): sign-up with double opt-in, confirmation
and one-click unsubscribe, over the list in the store. Core code: no Textual, no click."""
