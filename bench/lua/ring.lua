-- ring.lua: the standard C ring (behaviors/standard.c) in Lua, uploaded
-- by bench/engine.c as bench_ring.  args {"n": N, "message": ANY}: the
-- first step spawns n once-forwarders of bench_forwarder
-- (bench/lua/forwarder.lua), backwards so that each knows the next, and
-- sends message to the first; the ring exits with message when it comes
-- back.  n + 2 steps in all, as the C ring.
return {
  doc = "spawns a ring of n once-forwarders, sends message around it and " ..
        "exits with it when it comes back",

  check_args = function(args)
    local n = args.n
    if math.type(n) ~= "integer" or n < 1 or n > 100000 then
      return "n must be an integer from 1 to 100000"
    end
  end,

  start = function(a)
    local message = a.args.message
    if message == nil then message = actord.null end
    local next = a:self()
    for _ = a.args.n, 1, -1 do
      next = a:spawn("bench_forwarder", {to = next, once = true})
    end
    a:send(next, message)
    return a:receive("back", {{["$literal"] = message}})
  end,

  back = function(a, msg)
    return a:exit(msg)
  end,
}
