#include <billing/billing.hpp>
#include <billing/storage/sqlite.hpp>

int main() { return billing::Money::parse("1.00 USD").minor() == 100 ? 0 : 1; }
