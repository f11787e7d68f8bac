# fruits_embed_file(INPUT file HEADER generated/x/y.h NAME kName): a build step that writes
# HEADER holding INPUT's bytes as kName[] and kNameSize (embed_file.cmake), redone when INPUT
# changes. Add HEADER to the library's sources. How the serve web page and the report template
# are built into the binary.
function(fruits_embed_file)
  cmake_parse_arguments(ARG "" "INPUT;HEADER;NAME" "" ${ARGN})
  add_custom_command(
    OUTPUT ${ARG_HEADER}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${ARG_INPUT} -DOUTPUT=${ARG_HEADER} -DNAME=${ARG_NAME}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    DEPENDS ${ARG_INPUT} ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    COMMENT "Embedding ${ARG_INPUT}")
endfunction()
