-- 008_limits: what the resource limits need.  actors.mailbox counts the
-- messages waiting in the actor's mailbox, kept by actord as messages come
-- and go, so that a full mailbox is refused without counting it.
-- messages.hops counts the steps between a message and the outside world:
-- a message sent from outside (or by a timer) has 0, one sent by a step
-- that consumed a message of N hops has N + 1; a runaway chain is cut off
-- at the hop limit.

ALTER TABLE actors ADD COLUMN mailbox INTEGER NOT NULL DEFAULT 0;
UPDATE actors SET mailbox = (SELECT count(*) FROM messages m
                             WHERE m.actor = actors.id);
ALTER TABLE messages ADD COLUMN hops INTEGER NOT NULL DEFAULT 0;
