# cmake -DINPUT=file -DOUTPUT=file.c -DSYMBOL=name -P embed.cmake
# Writes `const char SYMBOL[]` holding INPUT's bytes and a NUL, and
# `const unsigned long SYMBOL_len`.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUTPUT} "/* Generated from ${SYMBOL} by cmake/embed.cmake. */\n"
     "extern const char ${SYMBOL}[];\nextern const unsigned long ${SYMBOL}_len;\n"
     "const char ${SYMBOL}[] = {${bytes}0x00};\n"
     "const unsigned long ${SYMBOL}_len = ${len};\n")
