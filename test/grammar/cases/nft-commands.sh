# SYNTAX TEST "source.shell" "nft command lines and here-documents in shell scripts"
#!/bin/sh
nft add rule inet filter input tcp dport 22 ct state new accept
#<--- support.function.nftables.shell
#   ^^^ keyword.other.command.nftables
#       ^^^^ storage.type.rule.nftables
#            ^^^^ storage.modifier.family.nftables
#                 ^^^^^^ entity.name.type.table.nftables
#                        ^^^^^ entity.name.function.chain.nftables
#                                  ^^^^^ support.variable.field.nftables
#                                                    ^^^ constant.language.ct-state.nftables
#                                                        ^^^^^^ keyword.control.verdict.nftables
sudo /usr/sbin/nft 'add chain inet filter fwd { type filter hook forward priority 0; policy drop; }'
#<---- entity.name.command.shell
#    ^^^^^^^^^^ entity.name.command.path.shell
#              ^^^ support.function.nftables.shell
#                  ^ punctuation.definition.string.begin.shell
#                                         ^^^ entity.name.function.chain.nftables
#                                             ^ punctuation.section.braces.nftables
#                                                                ^^^^^^^ support.constant.hook.nftables
#                                                                                           ^^^^ constant.language.policy.nftables
nft add chain inet filter out \{ type filter hook output priority 0 \; \}
#                             ^ constant.character.escape.shell
#                                                                    ^ punctuation.separator.escaped.nftables.shell
#                                                 ^^^^^^ support.constant.hook.nftables
$NFT -a list ruleset > /tmp/rules.txt # keep a copy
#<- variable.other.normal.shell
#    ^^ constant.other.option.nftables.shell
#       ^^^^ keyword.other.command.nftables
#            ^^^^^^^ storage.type.object.nftables
#                                     ^ comment.line.number-sign.shell
#                                     ^ - meta.command.nftables.shell
nft add rule ip filter input iifname "$LAN" accept; echo done
#                                    ^^^^^^ string.quoted.double.shell
#                                           ^^^^^^ keyword.control.verdict.nftables
#                                                 ^ - meta.command.nftables.shell
#                                                        ^^^^ - keyword.control.verdict.nftables
echo nft add rule
#    ^^^ - support.function.nftables.shell
#        ^^^ - keyword.other.command.nftables
nft -f - <<'RULES'
#<--- support.function.nftables.shell
#        ^^ keyword.operator.heredoc.shell
#           ^^^^^ keyword.control.heredoc-token.shell
table ip nat {
#<----- storage.type.table.nftables
#        ^^^ entity.name.type.table.nftables
#            ^ punctuation.section.block.begin.nftables
	chain post {
#      ^^^^ entity.name.function.chain.nftables
		type nat hook postrouting priority srcnat; policy accept;
#                                    ^^^^^^ support.constant.priority.nftables
		meta mark & 0x4000 == 0x4000 masquerade # marked by the service chains
#             ^^^^^^ constant.numeric.integer.hexadecimal.nftables
#                              ^^^^^^^^^^ support.function.statement.nftables
#                                         ^ comment.line.number-sign.nftables
	}
}
RULES
#<----- keyword.control.heredoc-token.shell
if nft list table inet filter >/dev/null 2>&1; then :; fi
#<-- keyword.control.if.shell
#      ^^^^ keyword.other.command.nftables
#                      ^^^^^^ entity.name.type.table.nftables
#                                              ^^^^ - meta.command.nftables.shell
