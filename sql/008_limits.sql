-- 008_limits: what the resource limits need.  actors.mailbox counts the
-- messages waiting in the actor's mailbox, kept by actord as messages come
-- and go, so that a full mailbox is refused without counting it.
-- messages.hops counts the steps between a message and the outside world:
-- a message sent from outside (or by a timer) has 0, one sent by a step
-- that consumed a message of N hops has N + 1; a runaway chain is cut off
-- at the hop limit.  actors.ties says what may point at the actor (1:
-- timers it owns, 2: monitors watching it, 4: links): bits are set when a
-- tie is made and never cleared, so an actor without them ends without
-- looking for any.

ALTER TABLE actors ADD COLUMN mailbox INTEGER NOT NULL DEFAULT 0;
UPDATE actors SET mailbox = (SELECT count(*) FROM messages m
                             WHERE m.actor = actors.id);
ALTER TABLE messages ADD COLUMN hops INTEGER NOT NULL DEFAULT 0;
ALTER TABLE actors ADD COLUMN ties INTEGER NOT NULL DEFAULT 0;
UPDATE actors SET ties =
    (CASE WHEN EXISTS (SELECT 1 FROM timers t WHERE t.owner = actors.id)
          THEN 1 ELSE 0 END) |
    (CASE WHEN EXISTS (SELECT 1 FROM monitors m WHERE m.target = actors.id)
          THEN 2 ELSE 0 END) |
    (CASE WHEN EXISTS (SELECT 1 FROM links l WHERE l.a = actors.id)
          THEN 4 ELSE 0 END);
