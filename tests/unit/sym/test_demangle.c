/* SPDX-License-Identifier: MIT */
/*
 * Demangled names (src/sym/demangle.c): libiberty's spelling of real
 * symbols (g++ and Debian's rustc, checked against c++filt), the base name
 * without parameters, and the matching rules a pattern follows: every
 * overload without '(', one with it, blanks ignored, trailing template
 * arguments left out, a leading "::", globs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sym_internal.h"

static const struct {
	const char *mangled, *demangled;
	size_t base;
} names[] = {
    {"_ZN2ns1K1fEi", "ns::K::f(int)", 8},
    {"_ZNK2ns1K1gEv", "ns::K::g() const", 8},
    {"_Z5twiceIiET_S0_", "twice<int>(int)", 10},
    {"_ZNSt6vectorIiSaIiEE9push_backERKi",
     "std::vector<int, std::allocator<int> >::push_back(int const&)", 49},
    {"_ZN2nsplERKNS_1KEi", "ns::operator+(ns::K const&, int)", 13},
    {"_ZN2ns1fEi.isra.0", "ns::f(int) [clone .isra.0]", 5},
    {"_ZN12_GLOBAL__N_14helpEv", "(anonymous namespace)::help()", 27},
    {"_ZN4core3fmt9Formatter3pad17h0123456789abcdefE", "core::fmt::Formatter::pad", 25},
    {"_ZN9rustnames6shapes6Circle4area17h84a1ccea4c6d3ed7E", "rustnames::shapes::Circle::area", 31},
};

static void test_demangle(void **state)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *d = sym_demangle(names[i].mangled);

		assert_true(sym_is_mangled(names[i].mangled));
		assert_non_null(d);
		assert_string_equal(d, names[i].demangled);
		assert_int_equal(sym_demangled_base_len(d), names[i].base);
		free(d);
	}
	assert_false(sym_is_mangled("main"));
	assert_null(sym_demangle("_Znot a name"));
}

static const struct {
	const char *pattern, *demangled;
	bool match;
} matches[] = {
    {"ns::K::f", "ns::K::f(int)", true},
    {"ns::K::f", "ns::K::f(double)", true},
    {"ns::K::f(int)", "ns::K::f(int)", true},
    {"ns::K::f(int)", "ns::K::f(double)", false},
    {"ns::K::f", "ns::K::fg(int)", false},
    {"ns::K::g() const", "ns::K::g() const", true},
    {"ns::K::g()const", "ns::K::g() const", true},
    {"ns::K::g()", "ns::K::g() const", false},
    {"ns::K::g", "ns::K::g() const", true},
    {"twice<int>", "twice<int>(int)", true},
    {"twice<int>", "twice<double>(double)", false},
    {"twice<*>", "twice<double>(double)", true},
    {"std::vector<int>::push_back*",
     "std::vector<int, std::allocator<int> >::push_back(int const&)", true},
    {"std::vector<int>::push_back(int const&)",
     "std::vector<int, std::allocator<int> >::push_back(int const&)", true},
    {"std::vector<long>::push_back",
     "std::vector<int, std::allocator<int> >::push_back(int const&)", false},
    {"std::map<int,int>::at",
     "std::map<int, int, std::less<int>, "
     "std::allocator<std::pair<int const, int> > >::at(int const&)",
     true},
    {"std::vector<std::vector<int>>::size",
     "std::vector<std::vector<int, "
     "std::allocator<int> >, std::allocator<std::vector<int, std::allocator<int> > > >::size() "
     "const",
     true},
    {"::ns::K::f", "ns::K::f(int)", true},
    {"ns::f", "ns::f(int) [clone .isra.0]", true},
    {"ns::*", "ns::operator+(ns::K const&, int)", true},
    {"ns::operator+", "ns::operator+(ns::K const&, int)", true},
    {"ns::K::[fg]", "ns::K::g() const", true},
    {"ns::K::[!fg]", "ns::K::g() const", false},
    {"ns::?::f", "ns::K::f(int)", true},
    {"rustnames::shapes::*", "rustnames::shapes::Circle::area", true},
    {"rustnames::fallible", "rustnames::fallible", true},
    {"(anonymous namespace)::help", "(anonymous namespace)::help()", true},
};

static void test_match(void **state)
{
	for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++)
		if (sym_demangled_match(matches[i].pattern, matches[i].demangled) !=
		    matches[i].match)
			fail_msg("'%s' vs '%s': want %s", matches[i].pattern, matches[i].demangled,
				 matches[i].match ? "a match" : "no match");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demangle),
	    cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
