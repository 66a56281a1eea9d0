# The coverage preset (SIGKIT_COVERAGE=ON), included at the end of the top-level CMakeLists:
# links every executable with cmake/coverage_flush.cpp, which writes gcov's counters before
# _exit(), _Exit() and a raise() that may end the process, so that code run in forked test
# children and in processes that die by a signal is counted too. The --coverage flags
# themselves come from the preset. (An object library: its symbols must be there whatever the
# link order, since the references to them come from static libraries such as libgtest.a.)
add_library(sigkit_coverage_flush OBJECT ${CMAKE_CURRENT_LIST_DIR}/coverage_flush.cpp)

function(sigkit_coverage_flush_executables directory)
  get_property(targets DIRECTORY ${directory} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_link_libraries(${target} PRIVATE sigkit_coverage_flush)
      target_link_options(${target} PRIVATE -Wl,--wrap=_exit -Wl,--wrap=_Exit -Wl,--wrap=raise)
    endif()
  endforeach()
  get_property(subdirectories DIRECTORY ${directory} PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    sigkit_coverage_flush_executables(${subdirectory})
  endforeach()
endfunction()
sigkit_coverage_flush_executables(${PROJECT_SOURCE_DIR})
