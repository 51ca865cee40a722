-- forwarder.lua: the standard C forwarder (behaviors/standard.c) in Lua,
-- uploaded by bench/engine.c as bench_forwarder.  args {"to": ADDRESS,
-- "once": BOOL}: sends every message it receives to args.to; with
-- args.once it exits with the first.  Each step reads one message, sends
-- one and stores the actor, the work of a C forwarder's step.  The cycle
-- of the batched figure is made of these; the Lua ring spawns them.
local ANY = {"$any"}

return {
  doc = "sends every message it receives to args.to; with args.once it " ..
        "exits after the first",

  check_args = function(args)
    if not actord.is_address(args.to) and type(args.to) ~= "string" then
      return 'to must be an address {"$address": NAME} or a name'
    end
    if args.once ~= nil and type(args.once) ~= "boolean" then
      return "once must be true or false"
    end
  end,

  start = function(a)
    return a:receive("got", ANY)
  end,

  got = function(a, msg)
    a:send(a.args.to, msg)
    if a.args.once then
      return a:exit(msg)
    end
    return a:receive("got", ANY)
  end,
}
