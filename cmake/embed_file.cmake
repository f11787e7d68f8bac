# Writes a C++ header holding a file's bytes: cmake -DINPUT=file -DOUTPUT=header -DNAME=kName -P
# embed_file.cmake. The bytes become an array of hex literals, which holds any content (a raw
# string literal would end at its delimiter).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n  " bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
     "// Generated from ${INPUT} by embed_file.cmake: do not edit.\n"
     "#pragma once\n\n#include <cstddef>\n\n"
     "inline constexpr unsigned char ${NAME}[] = {\n  ${bytes}0x00};\n"
     "inline constexpr std::size_t ${NAME}Size = ${size};\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
