"""scikit-learn's own estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)

from sklearn_backprop import BackpropClassifier


@parametrize_with_checks([BackpropClassifier(random_state=0)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_parameters_validated_through_constraints():
    check_param_validation("BackpropClassifier", BackpropClassifier())
