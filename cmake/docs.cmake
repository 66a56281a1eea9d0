# The API reference: Doxygen over the contracts of the public headers (include/sigkit/).
#   cmake --build --preset dev --target docs    ->  build/dev/docs/html/index.html
# Any Doxygen warning (an undocumented public declaration, a broken reference or command) fails
# the target: docs/Doxyfile.in sets WARN_AS_ERROR. `detail` namespaces are left out. First
# cmake/check_public_docs.cmake fails on what Doxygen would silently skip (an undocumented
# nested namespace, an undocumented SIGKIT_ macro).
find_package(Doxygen QUIET)
set(SIGKIT_DOCS_OUTPUT ${PROJECT_BINARY_DIR}/docs)
if(DOXYGEN_FOUND)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${SIGKIT_DOCS_OUTPUT}/Doxyfile @ONLY)
  # Always runs (a few seconds): a failed run must fail again, never be taken as up to date.
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -DSIGKIT_INCLUDE_DIR=${PROJECT_SOURCE_DIR}/include/sigkit
            -P ${PROJECT_SOURCE_DIR}/cmake/check_public_docs.cmake
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${SIGKIT_DOCS_OUTPUT}/html
    COMMAND Doxygen::doxygen ${SIGKIT_DOCS_OUTPUT}/Doxyfile
    COMMAND ${CMAKE_COMMAND} -E echo "API reference: ${SIGKIT_DOCS_OUTPUT}/html/index.html"
    WORKING_DIRECTORY ${SIGKIT_DOCS_OUTPUT}
    COMMENT "Generating the API reference (Doxygen)"
    VERBATIM)
else()
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E echo
            "sigkit: the docs target needs doxygen (scripts/bootstrap.sh installs it)"
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
endif()
