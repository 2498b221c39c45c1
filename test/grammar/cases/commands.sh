# SYNTAX TEST "source.shell" "iptables commands in shell scripts"
#!/bin/sh
IPT=/sbin/iptables
#<--- variable.other.assignment.shell
#  ^ keyword.operator.assignment.shell
#   ^^^^^^^^^^^^^^ - support.function.iptables.shell
iptables -t mangle -A PREROUTING -m mark ! --mark 0x4000/0x4000 -j MARK --set-xmark 0x4000/0x0
#<-------- support.function.iptables.shell
#        ^^ variable.parameter.option.iptables
#           ^^^^^^ entity.name.type.table.iptables
#                  ^^ keyword.other.command.iptables
#                     ^^^^^^^^^^ entity.name.function.chain.iptables
#                                ^^ variable.parameter.option.iptables
#                                   ^^^^ support.class.match.iptables
#                                        ^ keyword.operator.negation.iptables
#                                          ^^^^^^ variable.parameter.option.iptables
#                                                 ^^^^^^ constant.numeric.integer.hexadecimal.iptables
#                                                       ^ punctuation.separator.mask.iptables
#                                                        ^^^^^^ constant.numeric.integer.hexadecimal.mask.iptables
#                                                               ^^ variable.parameter.option.iptables
#                                                                  ^^^^ constant.language.target.iptables
#                                                                       ^^^^^^^^^^^ variable.parameter.option.iptables
#                                                                                   ^^^^^^ constant.numeric.integer.hexadecimal.iptables
#                                                                                         ^ punctuation.separator.mask.iptables
#                                                                                          ^^^ constant.numeric.integer.hexadecimal.mask.iptables
if [ -n "$NET" ]; then sudo -E iptables-nft -I INPUT 1 ! -s "$NET" -j DROP; fi
#<-- keyword.control.if.shell
#  ^ punctuation.definition.logical-expression.shell
#    ^^ keyword.operator.logical.shell
#       ^ punctuation.definition.string.begin.shell
#        ^ variable.other.normal.shell
#         ^^^ variable.other.normal.shell
#            ^ punctuation.definition.string.end.shell
#              ^ punctuation.definition.logical-expression.shell
#               ^ punctuation.terminator.statement.semicolon.shell
#                 ^^^^ keyword.control.then.shell
#                      ^^^^ entity.name.command.shell
#                          ^^^ constant.other.option.shell
#                              ^^^^^^^^^^^^ support.function.iptables.shell
#                                           ^^ keyword.other.command.iptables
#                                              ^^^^^ entity.name.function.chain.iptables
#                                                    ^ constant.numeric.integer.decimal.rule-number.iptables
#                                                      ^ keyword.operator.negation.iptables
#                                                        ^^ variable.parameter.option.iptables
#                                                           ^ punctuation.definition.string.begin.shell
#                                                            ^ variable.other.normal.shell
#                                                             ^^^ variable.other.normal.shell
#                                                                ^ punctuation.definition.string.end.shell
#                                                                  ^^ variable.parameter.option.iptables
#                                                                     ^^^^ constant.language.target.iptables
#                                                                         ^ punctuation.terminator.statement.semicolon.shell
#                                                                           ^^ keyword.control.fi.shell
  $IPT -A FORWARD -m comment --comment "fwd \"all\"" \
# ^ variable.other.normal.shell
#  ^^^ variable.other.normal.shell
#      ^^ keyword.other.command.iptables
#         ^^^^^^^ entity.name.function.chain.iptables
#                 ^^ variable.parameter.option.iptables
#                    ^^^^^^^ support.class.match.iptables
#                            ^^^^^^^^^ variable.parameter.option.iptables
#                                      ^ punctuation.definition.string.begin.shell
#                                       ^^^^ string.quoted.double.shell
#                                           ^^ constant.character.escape.shell
#                                             ^^^ string.quoted.double.shell
#                                                ^^ constant.character.escape.shell
#                                                  ^ punctuation.definition.string.end.shell
#                                                    ^ constant.character.escape.line-continuation.shell
      -m conntrack --ctstate RELATED,ESTABLISHED \
#     ^^ variable.parameter.option.iptables
#        ^^^^^^^^^ support.class.match.iptables
#                  ^^^^^^^^^ variable.parameter.option.iptables
#                                                ^ constant.character.escape.line-continuation.shell
      -j ACCEPT # trailing shell comment
#     ^^ variable.parameter.option.iptables
#        ^^^^^^ constant.language.target.iptables
${IPTABLES} -t mangle -A OUTPUT -j MARK --set-mark "$(mask_of wan)/$MMX_MASK" 2>/dev/null || true
#<- variable.other.bracket.shell
#^ punctuation.definition.variable.shell
# ^^^^^^^^ variable.other.bracket.shell
#         ^ punctuation.definition.variable.shell
#           ^^ variable.parameter.option.iptables
#              ^^^^^^ entity.name.type.table.iptables
#                     ^^ keyword.other.command.iptables
#                        ^^^^^^ entity.name.function.chain.iptables
#                               ^^ variable.parameter.option.iptables
#                                  ^^^^ constant.language.target.iptables
#                                       ^^^^^^^^^^ variable.parameter.option.iptables
#                                                  ^ punctuation.definition.string.begin.shell
#                                                   ^^ punctuation.definition.subshell.single.shell
#                                                     ^^^^^^^ entity.name.command.shell
#                                                                ^ punctuation.definition.subshell.single.shell
#                                                                 ^ string.quoted.double.shell
#                                                                  ^ variable.other.normal.shell
#                                                                   ^^^^^^^^ variable.other.normal.shell
#                                                                           ^ punctuation.definition.string.end.shell
#                                                                             ^^ keyword.operator.redirect.shell
#                                                                                         ^ keyword.operator.pipe.shell
#                                                                                          ^ keyword.operator.pipe.shell
#                                                                                            ^^^^ support.function.builtin.shell
/usr/sbin/ip6tables-legacy -A INPUT -s fe80::/10 -p ipv6-icmp -j ACCEPT && echo ok
#<---------- entity.name.command.path.shell
#         ^^^^^^^^^^^^^^^^ support.function.iptables.shell
#                          ^^ keyword.other.command.iptables
#                             ^^^^^ entity.name.function.chain.iptables
#                                   ^^ variable.parameter.option.iptables
#                                      ^^^^^^ constant.numeric.ipv6.iptables
#                                            ^ punctuation.separator.cidr.iptables
#                                             ^^ constant.numeric.integer.prefix-length.iptables
#                                                ^^ variable.parameter.option.iptables
#                                                   ^^^^^^^^^ support.constant.protocol.iptables
#                                                             ^^ variable.parameter.option.iptables
#                                                                ^^^^^^ constant.language.target.iptables
#                                                                       ^^ punctuation.separator.statement.and.shell
#                                                                          ^^^^ support.function.builtin.shell
echo iptables -A NOT_A_RULE -j DROP
#    ^^^^^^^^ - support.function.iptables.shell
#             ^^ - keyword.other.command.iptables
#                ^^^^^^^^^^ - entity.name.function.chain.iptables
#<---- support.function.builtin.shell
# iptables -A COMMENTED -j DROP
# ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.number-sign.shell - keyword.other.command.iptables entity.name.function.chain.iptables
#<- punctuation.definition.comment.shell
#^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.number-sign.shell
rules=$(iptables -S KUBE-MARK-MASQ | wc -l)
#<----- variable.other.assignment.shell
#    ^ keyword.operator.assignment.shell
#     ^^ punctuation.definition.subshell.single.shell
#       ^^^^^^^^ support.function.iptables.shell
#                ^^ keyword.other.command.iptables
#                   ^^^^^^^^^^^^^^ entity.name.function.chain.iptables
#                                  ^ keyword.operator.pipe.shell
#                                    ^^ entity.name.command.shell
#                                         ^ punctuation.definition.subshell.single.shell
for c in INPUT OUTPUT; do iptables -P "$c" DROP; done
#<--- keyword.control.for.shell
#   ^ variable.other.for.shell
#     ^^ keyword.control.in.shell
#                    ^ punctuation.terminator.statement.semicolon.shell
#                      ^^ keyword.control.do.shell
#                         ^^^^^^^^ support.function.iptables.shell
#                                  ^^ keyword.other.command.iptables
#                                     ^ punctuation.definition.string.begin.shell
#                                      ^ variable.other.normal.shell
#                                       ^ variable.other.normal.shell
#                                        ^ punctuation.definition.string.end.shell
#                                              ^ punctuation.terminator.statement.semicolon.shell
#                                                ^^^^ keyword.control.done.shell
iptables-restore --noflush <<'EOF'
#<---------------- support.function.iptables.shell
#                          ^^ keyword.operator.heredoc.shell
#                             ^^^ keyword.control.heredoc-token.shell
*filter
#<- source.iptables
#^^^^^^ entity.name.type.table.iptables
-A INPUT -p tcp --dport 22 -j ACCEPT
#<-- keyword.other.command.iptables
#  ^^^^^ entity.name.function.chain.iptables
COMMIT
EOF
#<--- keyword.control.heredoc-token.shell
echo after <<X
#<---- - source.iptables
-A INPUT
#<-- - keyword.other.command.iptables
X
ip6tables-restore <<-V6
	*filter
#	^^^^^^ entity.name.type.table.iptables
	V6
#	^^ keyword.control.heredoc-token.shell
