-- account.lua: a bank account in Lua, for PUT /behaviors/account.
-- {"deposit": N} adds, {"withdraw": N} takes out but never overdraws,
-- {"transfer": N, "to": ADDRESS} moves money to another account, and the
-- call "balance" answers the balance.  A refused operation is counted in
-- state.refused; the account goes on.
--
-- A transfer is one step: the money leaves this account and the deposit
-- is sent to the other in the same transaction, so no money is made or
-- lost, whatever crashes when.  A payee that has ended or never was gets
-- nothing (a:send says so; the message is kept as a dead letter), and the
-- money stays here.
local SHAPES = {
  {deposit = "$integer"},
  {withdraw = "$integer"},
  {transfer = "$integer", to = "$address"},
  {call = "$any", method = "$string", address = "$address"},
}

local function refuse(a, why)
  a.state.refused = (a.state.refused or 0) + 1
  a.state.last_refused = why
end

return {
  doc = "a bank account: deposit, withdraw, transfer; call balance",

  check_args = function(args)
    if args.start ~= nil and
       (math.type(args.start) ~= "integer" or args.start < 0) then
      return "start must be an integer of at least 0"
    end
  end,

  start = function(a)
    a.state.balance = a.args.start or 0
    return a:receive("ready", SHAPES)
  end,

  ready = function(a, msg, i)
    local st = a.state
    if i == 1 then
      if msg.deposit < 0 then refuse(a, "a deposit below 0")
      else st.balance = st.balance + msg.deposit end
    elseif i == 2 then
      if msg.withdraw < 0 or msg.withdraw > st.balance then
        refuse(a, "no overdraft")
      else
        st.balance = st.balance - msg.withdraw
      end
    elseif i == 3 then
      local n = msg.transfer
      if n < 0 or n > st.balance then
        refuse(a, "no overdraft")
      else
        local ok, why = a:send(msg.to, {deposit = n})
        if ok then st.balance = st.balance - n
        else refuse(a, "the payee is " .. why) end
      end
    else
      a:dispatch(msg, {balance = function(a) return a.state.balance end})
    end
    return a:receive("ready", SHAPES)
  end,
}
