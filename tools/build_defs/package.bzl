"""Package macros: each package says which layer it is in, and so who may use it."""

def domain_package():
    native.package(default_visibility = ["//tools/layers:domain_clients"])

def api_package():
    native.package(default_visibility = ["//tools/layers:api_clients"])

def infra_package():
    native.package(default_visibility = ["//tools/layers:infra_clients"])

def apps_package():
    native.package(default_visibility = ["//tools/layers:apps_clients"])

def testing_package():
    native.package(default_visibility = ["//tools/layers:testing_clients"])
