"""Readers' comments: the rules of the conversation (when it is open, the numbered thread and its
@mentions, rendering), the spam defences, the form's signed token, moderation. No HTTP; imports the
plumbing, markup and posts."""
