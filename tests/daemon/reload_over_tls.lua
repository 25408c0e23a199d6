-- tshark's RELOAD framing dissector registers for TCP port 6084 and for DTLS,
-- not for decrypted TLS on other ports: hand it the application data of the
-- TLS ports named in RELOAD_PORTS (space-separated).
local tls_ports = DissectorTable.get("tls.port")
local framing = Dissector.get("reload-framing")
for port in string.gmatch(os.getenv("RELOAD_PORTS") or "", "%d+") do
  tls_ports:add(tonumber(port), framing)
end
