int main(void) { return 0; }#include "config.h"


